-- Shared helpers, prepended to every per-user and per-code script after
-- clock.lua (scripts.rs).
-- Numbers: Lua 5.1 doubles are exact for integers below 2^53; times are ms
-- (13 digits) and credits/costs stay far below that. Money amounts that must
-- stay exact 64-bit integers are passed as strings and only touched by
-- HINCRBY (see spend_*.lua).

local DAY = 86400000

local function read_meta(key)
  local v = redis.call('HMGET', key, 'credits', 'plan', 'plan_until', 'banned')
  return {
    credits = tonumber(v[1]) or 0,
    credits_raw = v[1] or '0',
    plan = v[2] or '',
    plan_until = tonumber(v[3]) or 0,
    banned = v[4] == '1',
  }
end

-- The plan in effect: name, plan ({w = {{limit, period_ms}...}, f = max_in_flight})
-- and the expiry of an assigned plan in effect (0: none).
local function effective_plan(meta, now, plans, default, mode, allowlisted)
  if meta.plan ~= '' and (meta.plan_until == 0 or meta.plan_until > now) and plans[meta.plan] then
    return meta.plan, plans[meta.plan], meta.plan_until
  end
  if mode == 'open' or (mode == 'allowlist' and allowlisted == '1') then
    if plans[default] then
      return default, plans[default], 0
    end
  end
  return nil, nil, 0
end

-- Assigns a plan: extends the same unexpired, expiring plan by `days`, else
-- starts it now (days == 0: forever). Returns the expiry (0: none).
local function assign_plan(meta_key, now, name, days)
  local v = redis.call('HMGET', meta_key, 'plan', 'plan_until')
  local current, expiry = v[1] or '', tonumber(v[2]) or 0
  local same = current == name
  if same and expiry == 0 then
    -- Held for good: a timed grant of the same plan takes nothing away.
    expiry = 0
  elseif same and expiry > now and days > 0 then
    expiry = expiry + days * DAY
  elseif days == 0 then
    expiry = 0
  else
    expiry = now + days * DAY
  end
  redis.call('HSET', meta_key, 'plan', name, 'plan_until', expiry)
  return expiry
end
