import { JOB_STATUSES, TERMINAL_STATUSES } from './job.schema.js';

/**
 * Lua helpers for the per-customer usage counters (`<prefix>:customer:<id>:usage`, see
 * `JobKeys.usage`): `kiln_add_usage(key, field, delta)` adds a whole number of bytes and never
 * leaves the counter below 0 (a counter that would go negative is a bug elsewhere, not a credit).
 * `kiln_stored(key)` reads outputs + uploads.
 */
export const USAGE_FUNCTIONS_LUA = `
local function kiln_add_usage(usageKey, field, delta)
  if delta == 0 then return end
  local v = redis.call('HINCRBY', usageKey, field, string.format('%d', delta))
  if v < 0 then redis.call('HSET', usageKey, field, 0) end
end

local function kiln_stored(usageKey)
  local u = redis.call('HMGET', usageKey, 'outputBytes', 'uploadBytes')
  return (tonumber(u[1]) or 0) + (tonumber(u[2]) or 0)
end
`;

/**
 * Lua helpers every job-store script that changes a job starts with. They derive the index keys
 * from the job's key (`<prefix>:job:<id>`, see {@link JobKeys}), so the scripts need no extra
 * KEYS/ARGV; with a hash-tagged prefix (`{kiln}`) every key lands in one cluster slot.
 *
 * - `kiln_reindex(jobKey, old, nowIso)`: after a write, moves the job from the status index of
 *   `old` to that of its current status, keeps the finished index (for retention) and the
 *   customer's speed counters (for stats) in step. Cheap no-op when the status did not change.
 * - `kiln_unindex(jobKey, customerId)`: takes a job out of every index before it is deleted.
 * - `kiln_count_stored(jobKey)`: after a write of `outputs`, brings the customer's `outputBytes`
 *   in line with the job's completed outputs (see {@link USAGE_FUNCTIONS_LUA}).
 */
export const INDEX_FUNCTIONS_LUA = `
${USAGE_FUNCTIONS_LUA}
local KILN_STATUSES = { ${JOB_STATUSES.map((s) => `'${s}'`).join(', ')} }
local KILN_TERMINAL = { ${TERMINAL_STATUSES.map((s) => `${s} = true`).join(', ')} }

-- ms since the epoch of a UTC time as Date#toISOString writes it; nil for anything else.
local function kiln_ms(iso)
  if type(iso) ~= 'string' then return nil end
  local y, mo, d, h, mi, s, frac = string.match(iso, '^(%d%d%d%d)-(%d%d)-(%d%d)T(%d%d):(%d%d):(%d%d)%.?(%d*)Z$')
  if not y then return nil end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  -- days from the civil date (H. Hinnant's algorithm), valid for every Gregorian year
  if mo <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((mo + 9) % 12) + 2) / 5) + d - 1
  local days = era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
  local ms = (((days * 24 + tonumber(h)) * 60 + tonumber(mi)) * 60 + tonumber(s)) * 1000
  if frac ~= '' then ms = ms + math.floor(tonumber(frac) * 10 ^ (3 - #frac)) end
  return ms
end

-- A completed job's encode speed, as encodeSpeedOf in the API computes it: the longest output's
-- duration over finishedAt - startedAt, else the last speed ffmpeg reported; nil without either.
local function kiln_speed(jobKey)
  local f = redis.call('HMGET', jobKey, 'outputs', 'startedAt', 'finishedAt', 'progress')
  local duration = 0
  if f[1] then
    local ok, outs = pcall(cjson.decode, f[1])
    if ok and type(outs) == 'table' then
      for _, o in ipairs(outs) do
        local sec = type(o) == 'table' and o.durationSeconds
        if type(sec) == 'number' and sec > duration then duration = sec end
      end
    end
  end
  local started, finished = kiln_ms(f[2]), kiln_ms(f[3])
  if duration > 0 and started and finished and finished > started then return duration / ((finished - started) / 1000) end
  if f[4] then
    local ok, p = pcall(cjson.decode, f[4])
    if ok and type(p) == 'table' and type(p.speed) == 'number' and p.speed > 0 and p.speed < math.huge then return p.speed end
  end
  return nil
end

-- The speed a job added to the counters is kept in the job (statsSpeed), so taking it out again
-- (delete, or leaving completed) subtracts exactly what was added, and a backfill adds it once.
local function kiln_count_speed(jobKey, statsKey)
  local v = kiln_speed(jobKey)
  if not v then return end
  local vs = string.format('%.17g', v)
  redis.call('HINCRBYFLOAT', statsKey, 'speedSum', vs)
  redis.call('HINCRBY', statsKey, 'speedCount', 1)
  redis.call('HSET', jobKey, 'statsSpeed', vs)
end

local function kiln_uncount_speed(jobKey, statsKey)
  local vs = redis.call('HGET', jobKey, 'statsSpeed')
  if not vs then return end
  redis.call('HINCRBYFLOAT', statsKey, 'speedSum', '-' .. vs)
  redis.call('HINCRBY', statsKey, 'speedCount', -1)
  redis.call('HDEL', jobKey, 'statsSpeed')
end

local function kiln_split(jobKey)
  local prefix = string.match(jobKey, '^(.*):job:[^:]+$')
  return prefix, string.sub(jobKey, #prefix + 6)
end

-- Bytes a job's outputs hold in storage: the sizes of its completed outputs (a directory
-- output's size is the sum of its files). A new attempt or a retry resets them to pending.
local function kiln_output_bytes(jobKey)
  local raw = redis.call('HGET', jobKey, 'outputs')
  local total = 0
  if not raw then return 0 end
  local ok, outs = pcall(cjson.decode, raw)
  if not ok or type(outs) ~= 'table' then return 0 end
  for _, o in ipairs(outs) do
    if type(o) == 'table' and o.status == 'completed' and type(o.sizeBytes) == 'number' and o.sizeBytes > 0 then
      total = total + o.sizeBytes
    end
  end
  return total
end

-- The job keeps what it added to its customer's outputBytes (storedBytes), so a change of its
-- outputs adds the difference and a delete takes back exactly what was added, once.
local function kiln_count_stored(jobKey)
  local prefix = kiln_split(jobKey)
  local customer = redis.call('HGET', jobKey, 'customerId')
  if not customer then return end
  local now = kiln_output_bytes(jobKey)
  local before = tonumber(redis.call('HGET', jobKey, 'storedBytes') or '0') or 0
  if now == before then return end
  kiln_add_usage(prefix .. ':customer:' .. customer .. ':usage', 'outputBytes', now - before)
  if now == 0 then redis.call('HDEL', jobKey, 'storedBytes') else redis.call('HSET', jobKey, 'storedBytes', string.format('%d', now)) end
end

local function kiln_uncount_stored(jobKey, prefix, customer)
  local before = tonumber(redis.call('HGET', jobKey, 'storedBytes') or '0') or 0
  if before == 0 then return end
  kiln_add_usage(prefix .. ':customer:' .. customer .. ':usage', 'outputBytes', -before)
  redis.call('HDEL', jobKey, 'storedBytes')
end

local function kiln_reindex(jobKey, old, nowIso)
  local new = redis.call('HGET', jobKey, 'status')
  if not new or new == old then return end
  local prefix, id = kiln_split(jobKey)
  local customer = redis.call('HGET', jobKey, 'customerId')
  local base = prefix .. ':customer:' .. customer .. ':jobs'
  if old then redis.call('ZREM', base .. ':' .. old, id) end
  local score = redis.call('ZSCORE', base, id)
  if score then redis.call('ZADD', base .. ':' .. new, score, id) end
  local finished = prefix .. ':jobs:finished'
  if KILN_TERMINAL[new] then
    redis.call('ZADD', finished, kiln_ms(redis.call('HGET', jobKey, 'finishedAt')) or kiln_ms(nowIso) or 0, id)
  else
    redis.call('ZREM', finished, id)
  end
  local stats = prefix .. ':customer:' .. customer .. ':stats'
  if old == 'completed' then kiln_uncount_speed(jobKey, stats) end
  if new == 'completed' then kiln_count_speed(jobKey, stats) end
end

local function kiln_unindex(jobKey, customerId)
  local prefix, id = kiln_split(jobKey)
  local customer = redis.call('HGET', jobKey, 'customerId') or customerId
  local base = prefix .. ':customer:' .. customer .. ':jobs'
  if redis.call('HGET', jobKey, 'status') == 'completed' then kiln_uncount_speed(jobKey, prefix .. ':customer:' .. customer .. ':stats') end
  kiln_uncount_stored(jobKey, prefix, customer)
  redis.call('ZREM', base, id)
  for _, s in ipairs(KILN_STATUSES) do redis.call('ZREM', base .. ':' .. s, id) end
  redis.call('ZREM', prefix .. ':jobs:finished', id)
end
`;

/** Deletes a job and takes it out of every index. KEYS[1] job key; ARGV[1] customer id. Returns 1 when the job existed. */
export const DELETE_SCRIPT = `${INDEX_FUNCTIONS_LUA}
kiln_unindex(KEYS[1], ARGV[1])
return redis.call('DEL', KEYS[1])
`;

/**
 * One page of an index, newest first, with the jobs' hashes, read atomically: so a job listed
 * under a status is in that status. KEYS[1] the index; ARGV: limit, cursor score ('' for the
 * first page), cursor id, job key prefix (`<prefix>:job:`). The page starts right after the
 * cursor's (score, id) in the index's order (score, then id bytewise, both descending), found
 * with ZREVRANK while the cursor's job is still in the index, else from its score (a job that
 * changed status or was deleted): O(log n + page) either way, plus the jobs created in the same
 * millisecond as the cursor's when it left. Returns {more (0|1), {id, score, hash pairs, ...}}.
 */
export const PAGE_SCRIPT = `
local function before(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local limit = tonumber(ARGV[1])
local want = limit + 1
local picked = {}
if ARGV[2] == '' then
  picked = redis.call('ZREVRANGE', KEYS[1], 0, limit, 'WITHSCORES')
else
  local rank = redis.call('ZREVRANK', KEYS[1], ARGV[3])
  if rank then
    picked = redis.call('ZREVRANGE', KEYS[1], rank + 1, rank + want, 'WITHSCORES')
  else
    local ties = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[2], 'WITHSCORES')
    for i = #ties - 1, 1, -2 do
      if #picked >= want * 2 then break end
      if before(ties[i], ARGV[3]) then
        picked[#picked + 1] = ties[i]
        picked[#picked + 1] = ties[i + 1]
      end
    end
    if #picked < want * 2 then
      local rest = redis.call('ZREVRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '-inf', 'WITHSCORES', 'LIMIT', 0, want - #picked / 2)
      for _, v in ipairs(rest) do picked[#picked + 1] = v end
    end
  end
end
local out = {}
local n = math.min(#picked / 2, limit)
for i = 1, n do
  local id = picked[2 * i - 1]
  out[#out + 1] = id
  out[#out + 1] = picked[2 * i]
  out[#out + 1] = redis.call('HGETALL', ARGV[4] .. id)
end
local more = 0
if #picked / 2 > limit then more = 1 end
return { more, out }
`;

/**
 * Brings the indexes (and stored-bytes usage) of some of a customer's jobs in line with the jobs
 * as they are now: idempotent, atomic per batch, safe beside live writes (see `JobIndexBackfill`).
 * KEYS[1]: the customer's index of jobs (declared so a cluster runs the script on the node of the
 * prefix's slot); ARGV: prefix, customer id, job ids... Returns how many of the ids were jobs.
 */
export const BACKFILL_SCRIPT = `${INDEX_FUNCTIONS_LUA}
local prefix, customer = ARGV[1], ARGV[2]
local base = prefix .. ':customer:' .. customer .. ':jobs'
local finished = prefix .. ':jobs:finished'
local n = 0
for i = 3, #ARGV do
  local id = ARGV[i]
  local jobKey = prefix .. ':job:' .. id
  local f = redis.call('HMGET', jobKey, 'status', 'finishedAt', 'updatedAt', 'statsSpeed')
  local status = f[1]
  for _, s in ipairs(KILN_STATUSES) do
    if s ~= status then redis.call('ZREM', base .. ':' .. s, id) end
  end
  if not status then
    redis.call('ZREM', finished, id)
  else
    n = n + 1
    local score = redis.call('ZSCORE', base, id)
    if score then redis.call('ZADD', base .. ':' .. status, score, id) end
    if KILN_TERMINAL[status] then
      redis.call('ZADD', finished, kiln_ms(f[2]) or kiln_ms(f[3]) or 0, id)
    else
      redis.call('ZREM', finished, id)
    end
    if status == 'completed' and not f[4] then kiln_count_speed(jobKey, prefix .. ':customer:' .. customer .. ':stats') end
    kiln_count_stored(jobKey)
  end
end
return n
`;

/**
 * Stores a new queued job and indexes it, unless its customer is at a limit. KEYS: job, customer
 * index, customer's queued index, customer's usage. ARGV: job id, score (creation ms), queued
 * limit ('' = none), stored-bytes limit ('' = none), then the job's field/value pairs. Returns
 * {1} when stored, else {0, limit name, what the customer uses of it}. Checked and written in one
 * script, so parallel creates never take a customer past a limit.
 */
export const CREATE_SCRIPT = `${USAGE_FUNCTIONS_LUA}
if ARGV[3] ~= '' then
  local queued = redis.call('ZCARD', KEYS[3])
  if queued >= tonumber(ARGV[3]) then return {0, 'queued', queued} end
end
if ARGV[4] ~= '' then
  local stored = kiln_stored(KEYS[4])
  if stored >= tonumber(ARGV[4]) then return {0, 'storedBytes', stored} end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return {1}
`;
