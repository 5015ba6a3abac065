/**
 * The fair queue's Lua, one script per change so each is atomic. Every key derives from the
 * scheduler's key prefix (ARGV[1], `<prefix>:sched`), so on a Redis Cluster the prefix's hash tag
 * keeps them all in one slot. The layout (see `FairQueueKeys`):
 *
 * - `job:<id>`            hash: customerId, pool, priority, score, enqueuedAt, state (waiting|handed)
 * - `pool:<p>:c:<cust>`   zset: the customer's waiting jobs in pool p, by priority rank then arrival
 * - `pool:<p>:ready`      zset: customers with waiting jobs in p that may run one now, by virtual time
 * - `pool:<p>:vclock`     the virtual time of the job handed out last in p
 * - `pool:<p>:vt`         hash: each customer's virtual time in p, kept while it is away from `ready`
 * - `pool:<p>:capped`     set: customers with waiting jobs in p held back by their running cap
 * - `pool:<p>:handed`     zset: jobs handed to BullMQ that no worker has started yet, by hand-out order
 * - `running:<cust>`      set: the customer's jobs handed out and not finished (its running count)
 * - `cap`                 hash: each customer's running cap (0: none)
 * - `waiting:<priority>`  zset: waiting jobs of every customer by enqueue ms (depth and oldest age)
 * - `customers`           hash: waiting jobs per customer
 * - `pools`               set: every pool a job was queued in
 * - `seq`, `version`      arrival counter; a counter bumped by every change (for live queue views)
 *
 * Fair share is start-time fair queueing with a cost of one per job: a customer's virtual time
 * grows by one for every job handed out, one who comes back after a pause starts at the pool's
 * virtual clock, and the next job goes to the ready customer with the lowest virtual time (ties by
 * customer id, as a sorted set orders them). So a customer's n-th waiting job goes after every
 * other customer's (n−1)-th, and a customer with 500 waiting jobs cannot hold back a newcomer.
 */

/** Functions every script shares. */
const COMMON = `
local P = ARGV[1]
local function vtOf(pool, cust)
  local vt = tonumber(redis.call('HGET', P .. ':pool:' .. pool .. ':vt', cust) or '0')
  local clock = tonumber(redis.call('GET', P .. ':pool:' .. pool .. ':vclock') or '0')
  if clock > vt then return clock end
  return vt
end
local function atCap(cust)
  local cap = tonumber(redis.call('HGET', P .. ':cap', cust) or '0')
  return cap > 0 and redis.call('SCARD', P .. ':running:' .. cust) >= cap
end
-- puts a customer with waiting jobs in pool back in line (or among the capped ones)
local function rejoin(pool, cust)
  local pk = P .. ':pool:' .. pool
  if redis.call('ZCARD', pk .. ':c:' .. cust) == 0 then
    redis.call('ZREM', pk .. ':ready', cust)
    redis.call('SREM', pk .. ':capped', cust)
    return
  end
  if redis.call('ZSCORE', pk .. ':ready', cust) then return end
  if atCap(cust) then
    redis.call('SADD', pk .. ':capped', cust)
  else
    redis.call('SREM', pk .. ':capped', cust)
    redis.call('ZADD', pk .. ':ready', vtOf(pool, cust), cust)
  end
end
local function unwait(id, cust, priority)
  redis.call('ZREM', P .. ':waiting:' .. priority, id)
  if redis.call('HINCRBY', P .. ':customers', cust, -1) <= 0 then redis.call('HDEL', P .. ':customers', cust) end
end
-- forgets a job in any state; frees its running place and lets capped customers back in line
local function forget(id)
  local jk = P .. ':job:' .. id
  local j = redis.call('HMGET', jk, 'customerId', 'pool', 'priority', 'state')
  if not j[1] then return 0 end
  local cust, pool, priority, state = j[1], j[2], j[3], j[4]
  redis.call('DEL', jk)
  if state == 'waiting' then
    redis.call('ZREM', P .. ':pool:' .. pool .. ':c:' .. cust, id)
    unwait(id, cust, priority)
    rejoin(pool, cust)
  else
    redis.call('ZREM', P .. ':pool:' .. pool .. ':handed', id)
    if redis.call('SREM', P .. ':running:' .. cust, id) == 1 then
      for _, p in ipairs(redis.call('SMEMBERS', P .. ':pools')) do
        if redis.call('SISMEMBER', P .. ':pool:' .. p .. ':capped', cust) == 1 then
          redis.call('SREM', P .. ':pool:' .. p .. ':capped', cust)
          rejoin(p, cust)
        end
      end
    end
  end
  return 1
end
`;

/**
 * Queues a job: ARGV = prefix, id, customerId, pool, priority, priority rank, running cap, now ms.
 * A job already waiting is left as it is (0); one still recorded as handed out (a retry) is
 * forgotten first.
 */
export const ENQUEUE_SCRIPT = `${COMMON}
local id, cust, pool, priority, rank, cap, now = ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7], ARGV[8]
local jk = P .. ':job:' .. id
if redis.call('HGET', jk, 'state') == 'waiting' then return 0 end
forget(id)
local seq = redis.call('INCR', P .. ':seq')
local score = rank * 1e13 + seq
redis.call('HSET', jk, 'customerId', cust, 'pool', pool, 'priority', priority, 'score', score, 'enqueuedAt', now, 'state', 'waiting')
redis.call('HSET', P .. ':cap', cust, cap)
redis.call('SADD', P .. ':pools', pool)
redis.call('ZADD', P .. ':pool:' .. pool .. ':c:' .. cust, score, id)
redis.call('ZADD', P .. ':waiting:' .. priority, now, id)
redis.call('HINCRBY', P .. ':customers', cust, 1)
rejoin(pool, cust)
redis.call('INCR', P .. ':version')
return 1
`;

/**
 * Hands out up to ARGV[3] jobs of pool ARGV[2] in fair-share order: ARGV = prefix, pool, count.
 * Returns a flat list of id, customerId pairs. A customer at its running cap leaves the line
 * until one of its jobs finishes.
 */
export const TAKE_SCRIPT = `${COMMON}
local pool, want = ARGV[2], tonumber(ARGV[3])
local pk = P .. ':pool:' .. pool
local out = {}
local taken = 0
while taken < want do
  local top = redis.call('ZRANGE', pk .. ':ready', 0, 0, 'WITHSCORES')
  if #top == 0 then break end
  local cust, vt = top[1], tonumber(top[2])
  redis.call('ZREM', pk .. ':ready', cust)
  if atCap(cust) then
    redis.call('HSET', pk .. ':vt', cust, vt)
    redis.call('SADD', pk .. ':capped', cust)
  else
    local first = redis.call('ZRANGE', pk .. ':c:' .. cust, 0, 0)
    local id = first[1]
    if id then
      redis.call('ZREM', pk .. ':c:' .. cust, id)
      local priority = redis.call('HGET', P .. ':job:' .. id, 'priority')
      unwait(id, cust, priority)
      redis.call('HSET', P .. ':job:' .. id, 'state', 'handed')
      redis.call('SADD', P .. ':running:' .. cust, id)
      local order = redis.call('INCR', P .. ':seq')
      redis.call('ZADD', pk .. ':handed', order, id)
      redis.call('SET', pk .. ':vclock', vt)
      redis.call('HSET', pk .. ':vt', cust, vt + 1)
      out[#out + 1] = id
      out[#out + 1] = cust
      taken = taken + 1
    end
    rejoin(pool, cust)
  end
end
if taken > 0 then redis.call('INCR', P .. ':version') end
return out
`;

/** Forgets a job (finished, cancelled or deleted): ARGV = prefix, id. 1 when it was known. */
export const FORGET_SCRIPT = `${COMMON}
local n = forget(ARGV[2])
if n == 1 then redis.call('INCR', P .. ':version') end
return n
`;

/** A worker started a handed-out job: ARGV = prefix, id. It still counts as running. */
export const STARTED_SCRIPT = `${COMMON}
local pool = redis.call('HGET', P .. ':job:' .. ARGV[2], 'pool')
if not pool then return 0 end
if redis.call('ZREM', P .. ':pool:' .. pool .. ':handed', ARGV[2]) == 1 then redis.call('INCR', P .. ':version') end
return 1
`;

/**
 * Changes a waiting job's priority: ARGV = prefix, id, priority, rank. 1 when changed, 0 when the
 * job is not waiting (already handed out, or unknown).
 */
export const REPRIORITIZE_SCRIPT = `${COMMON}
local id, priority, rank = ARGV[2], ARGV[3], tonumber(ARGV[4])
local jk = P .. ':job:' .. id
local j = redis.call('HMGET', jk, 'customerId', 'pool', 'priority', 'score', 'state', 'enqueuedAt')
if j[5] ~= 'waiting' then return 0 end
local seq = tonumber(j[4]) % 1e13
local score = rank * 1e13 + seq
redis.call('ZADD', P .. ':pool:' .. j[2] .. ':c:' .. j[1], score, id)
redis.call('ZREM', P .. ':waiting:' .. j[3], id)
redis.call('ZADD', P .. ':waiting:' .. priority, j[6], id)
redis.call('HSET', jk, 'priority', priority, 'score', score)
redis.call('INCR', P .. ':version')
return 1
`;

/**
 * What a position needs, read in one step: ARGV = prefix, pool, customerId, how many of the
 * customer's waiting jobs to list. Returns {handed count, the customer's running count,
 * its cap, its virtual time, {ids…}, {cust, vt, waiting, …} of every ready customer}.
 */
export const LINE_SCRIPT = `${COMMON}
local pool, cust, limit = ARGV[2], ARGV[3], tonumber(ARGV[4])
local pk = P .. ':pool:' .. pool
local ready = redis.call('ZRANGE', pk .. ':ready', 0, -1, 'WITHSCORES')
local others = {}
for i = 1, #ready, 2 do
  others[#others + 1] = ready[i]
  others[#others + 1] = ready[i + 1]
  others[#others + 1] = redis.call('ZCARD', pk .. ':c:' .. ready[i])
end
local mine = redis.call('ZRANGE', pk .. ':c:' .. cust, 0, limit - 1)
local vt = redis.call('ZSCORE', pk .. ':ready', cust) or vtOf(pool, cust)
return {
  redis.call('ZCARD', pk .. ':handed'),
  redis.call('SCARD', P .. ':running:' .. cust),
  redis.call('HGET', P .. ':cap', cust) or '0',
  tostring(vt),
  mine,
  others,
}
`;
