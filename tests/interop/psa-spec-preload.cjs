// Loaded with `node --require` into the Pinning Service compliance suite:
// the suite downloads the API specification from raw.githubusercontent.com
// at run time; tests run offline, so that one request goes to the local
// server named by PSA_SPEC_URL instead. Nothing else is redirected.
'use strict'
const http = require('node:http')
const https = require('node:https')

const target = new URL(process.env.PSA_SPEC_URL)
const originalGet = https.get
https.get = function (options, ...rest) {
  const host = typeof options === 'string' ? new URL(options).hostname : (options.hostname || options.host)
  if (host !== 'raw.githubusercontent.com') return originalGet.call(this, options, ...rest)
  return http.get({ hostname: target.hostname, port: target.port, path: target.pathname }, ...rest.filter((a) => typeof a === 'function'))
}
