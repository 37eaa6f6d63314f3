-- The anti-abuse checks, shared by take.lua, blocks.lua and the reserve
-- (which runs both inside its own atomic step).

-- Takes one cell of a GCRA limiter (the algorithm: limits.rs) whose TAT (ms)
-- is the string at `key`, or the field `field` of the hash at `key`.
-- `t`: emission interval (ms), `burst`: cells at once. Returns nil when the
-- cell was taken, or the time one is free (nothing is stored then).
local function gcra_take(key, field, now, t, burst)
  local stored
  if field then
    stored = redis.call('HGET', key, field)
  else
    stored = redis.call('GET', key)
  end
  local tat = tonumber(stored) or now
  if tat < now then
    tat = now
  end
  local next_tat = tat + t
  local allow_at = next_tat - burst * t
  if allow_at > now then
    return allow_at
  end
  -- Once next_tat has passed the limiter is fully rested: the key can go.
  local ttl = next_tat - now
  if field then
    redis.call('HSET', key, field, string.format('%d', next_tat))
    if redis.call('PTTL', key) < ttl then
      redis.call('PEXPIRE', key, string.format('%d', ttl))
    end
  else
    redis.call('SET', key, string.format('%d', next_tat), 'PX', string.format('%d', ttl))
  end
  return nil
end

-- The end of the safety cooldown from the blocks ZSET at `key` (member
-- "<ms>:<nonce>" scored by time), or nil: `threshold` blocks within `window`
-- (ms) start one, which lasts until the oldest of the last `threshold`
-- leaves the window (then fewer than `threshold` remain). 0: never.
local function cooldown_until(key, now, window, threshold)
  if threshold == 0 then
    return nil
  end
  local recent = redis.call('ZRANGEBYSCORE', key, '(' .. string.format('%d', now - window), '+inf', 'WITHSCORES')
  local count = #recent / 2
  if count < threshold then
    return nil
  end
  return tonumber(recent[(count - threshold) * 2 + 2]) + window
end
