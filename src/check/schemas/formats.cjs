// The JSON-schema formats `check` knows, per schema (see src/check/json-schemas.ts). CommonJS because the
// validators compiled at build time (dist/src/check/schemas/*.validate.cjs) require it by this path.
// `true` = accepted as is. No ajv-formats: its ISO-8601 `duration` rejects compose's Go durations (`30s`).
'use strict';

const validRegex = (s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
};

module.exports = {
  compose: {
    duration: /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/,
    expose: true,
    ports: true,
    subnet_ip_address: true,
  },
  'gitlab-ci': {
    uri: /^[a-z][a-z0-9+.-]*:\S*$/i,
    'uri-reference': /^\S*$/,
    'date-time': (s) => !Number.isNaN(Date.parse(s)),
    regex: validRegex,
  },
};
