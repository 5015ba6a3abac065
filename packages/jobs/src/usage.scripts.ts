import { USAGE_FUNCTIONS_LUA } from './job-index.scripts.js';

/**
 * Counts a stored upload in its customer's `uploadBytes`, unless that takes the customer past its
 * stored-bytes limit. KEYS: the customer's usage, the uploads ledger, the upload sizes. ARGV:
 * member (`<customerId>/<uploadId>`), size, limit ('' = none), now (ms). Returns {1} when counted
 * (or already counted), else {0, bytes the customer stores}. One script: parallel uploads never
 * take a customer past its limit.
 */
export const ADD_UPLOAD_SCRIPT = `${USAGE_FUNCTIONS_LUA}
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return {1} end
local size = tonumber(ARGV[2])
if ARGV[3] ~= '' then
  local stored = kiln_stored(KEYS[1])
  if stored + size > tonumber(ARGV[3]) then return {0, stored} end
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
kiln_add_usage(KEYS[1], 'uploadBytes', size)
return {1}
`;

/**
 * Stops counting uploads: the given ones (ARGV[3..]), or with ARGV[2] = 'expire' those stored
 * before ARGV[3] ms, at most ARGV[4] of them. KEYS: the uploads ledger, the upload sizes. ARGV[1]:
 * the key prefix (each upload's customer usage is `<prefix>:customer:<id>:usage`). Returns {how
 * many were looked at, how many were counted and no longer are}.
 */
export const REMOVE_UPLOADS_SCRIPT = `${USAGE_FUNCTIONS_LUA}
local members = {}
if ARGV[2] == 'expire' then
  members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
else
  for i = 3, #ARGV do members[#members + 1] = ARGV[i] end
end
local n = 0
for _, m in ipairs(members) do
  local size = tonumber(redis.call('HGET', KEYS[2], m) or '')
  redis.call('ZREM', KEYS[1], m)
  if size then
    redis.call('HDEL', KEYS[2], m)
    local customer = string.match(m, '^([^/]+)/')
    if customer then kiln_add_usage(ARGV[1] .. ':customer:' .. customer .. ':usage', 'uploadBytes', -size) end
    n = n + 1
  end
end
return {#members, n}
`;
