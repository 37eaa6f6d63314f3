-- Running window sums over the rolling log (prepended after prelude.lua to
-- reserve, status and the finish scripts). The log stays the truth (a sliding
-- log, exact); these sums only spare reading it whole on every call.
--
-- `win` HASH, one field per window period (ms): '<sum>:<cursor>', where sum =
-- the credits of the log's charges scored > cursor. Every change keeps that
-- invariant: a charge added or shrunk at time t changes the sums whose cursor
-- is < t; moving a cursor forward subtracts the charges it passes (each once,
-- ZRANGEBYSCORE between the old and the new cursor); the log is trimmed only
-- below every cursor. A window's use at `now` is its sum with the cursor moved
-- to now - period, so a call reads the charges that aged out since the last
-- call, not the whole window: amortised O(1) per charge and window. A missing
-- field (first use, keys written before the sums, a new plan) or a cursor
-- ahead of now - period (the clock went back) is rebuilt from the log once.
-- An empty log means every sum is 0, whatever `win` says, so `win` can never
-- outlive the charges it counts.

local function int(n)
  return string.format('%d', n)
end

local function charge_amount(member)
  return tonumber(string.match(member, '^(%d+)|')) or 0
end

-- Credits of the log's charges scored in (lo, hi] (hi may be '+inf').
local function log_sum(log, lo, hi)
  local total = 0
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', log, '(' .. int(lo), hi)) do
    total = total + charge_amount(m)
  end
  return total
end

-- Loads the sums of `log` from `win`.
local function load_windows(log, win)
  local w = { log = log, win = win, sums = {}, drop = {} }
  if redis.call('EXISTS', log) == 0 then
    w.empty = true
    return w
  end
  local raw = redis.call('HGETALL', win)
  for i = 1, #raw, 2 do
    local s, c = string.match(raw[i + 1], '^(%-?%d+):(%-?%d+)$')
    local period = tonumber(raw[i])
    if s and period then
      w.sums[period] = { tonumber(s), tonumber(c) }
    end
  end
  return w
end

-- Moves a window's cursor forward to `edge`, subtracting what it passes.
local function advance(w, period, edge)
  local s = w.sums[period]
  if edge > s[2] then
    if not w.empty then
      s[1] = s[1] - log_sum(w.log, s[2], edge)
    end
    s[2] = edge
  end
end

-- Credits charged in the window of `period` ending at `now` (charges with
-- t > now - period), leaving its cursor at now - period.
local function window_used(w, period, now)
  local edge = now - period
  local s = w.sums[period]
  if not s or edge < s[2] then
    local sum = 0
    if not w.empty then
      sum = log_sum(w.log, edge, '+inf')
    end
    w.sums[period] = { sum, edge }
  else
    advance(w, period, edge)
  end
  return w.sums[period][1]
end

-- A charge of `delta` credits at time `t` entered (or, negative, left) the log.
local function charge_changed(w, t, delta)
  for _, s in pairs(w.sums) do
    if t > s[2] then
      s[1] = s[1] + delta
    end
  end
end

-- Logs a charge of `amount` credits at `t` for reservation `id`.
local function log_charge(w, t, amount, id)
  redis.call('ZADD', w.log, t, amount .. '|' .. id)
  charge_changed(w, t, amount)
end

-- Trims the log to the charges younger than `longest` (no window of any plan
-- sees older ones): first every cursor still below the cut moves up to it,
-- so nothing trimmed is still counted; sums of periods longer than `longest`
-- (a plan since removed) are dropped, to be rebuilt if it comes back.
local function trim_log(w, now, longest)
  local cut = now - longest
  for period, s in pairs(w.sums) do
    if period > longest then
      w.sums[period] = nil
      w.drop[#w.drop + 1] = period
    elseif s[2] < cut then
      advance(w, period, cut)
    end
  end
  redis.call('ZREMRANGEBYSCORE', w.log, '-inf', int(cut))
end

-- Writes the sums back, expiring with the log (`ttl` ms, or the log's own
-- TTL when nil); with an empty log there is nothing to count: `win` goes.
local function save_windows(w, ttl)
  if w.empty or redis.call('EXISTS', w.log) == 0 then
    -- Nothing of `win` was loaded (or nothing is left to count): no stale
    -- field may survive beside the ones written now.
    redis.call('DEL', w.win)
    if redis.call('EXISTS', w.log) == 0 then
      return
    end
  end
  local fields = {}
  for period, s in pairs(w.sums) do
    fields[#fields + 1] = int(period)
    fields[#fields + 1] = int(s[1]) .. ':' .. int(s[2])
  end
  if #w.drop > 0 then
    local names = {}
    for i, p in ipairs(w.drop) do
      names[i] = int(p)
    end
    redis.call('HDEL', w.win, unpack(names))
  end
  if #fields == 0 then
    return
  end
  redis.call('HSET', w.win, unpack(fields))
  if not ttl then
    ttl = redis.call('PTTL', w.log)
  end
  if ttl > 0 then
    redis.call('PEXPIRE', w.win, ttl)
  end
end

-- The instant the window of `period` ending at `now` has freed `excess`
-- credits: its charges oldest first, a charge at t frees at t + period.
-- Reads only as many charges as it needs (each is at least 1 credit).
local function frees_at(log, now, period, excess)
  local freed, offset, batch = 0, 0, 64
  while true do
    local raw = redis.call('ZRANGEBYSCORE', log, '(' .. int(now - period), '+inf',
      'WITHSCORES', 'LIMIT', offset, batch)
    if #raw == 0 then
      return nil
    end
    for i = 1, #raw, 2 do
      freed = freed + charge_amount(raw[i])
      if freed >= excess then
        return tonumber(raw[i + 1]) + period
      end
    end
    offset = offset + batch
  end
end

-- The oldest charge's time in the window of `period` ending at `now`, or nil.
local function oldest_in(log, now, period)
  local raw = redis.call('ZRANGEBYSCORE', log, '(' .. int(now - period), '+inf',
    'WITHSCORES', 'LIMIT', 0, 1)
  if #raw == 0 then
    return nil
  end
  return tonumber(raw[2])
end
