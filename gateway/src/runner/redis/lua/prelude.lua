-- Shared by every queue script. All keys are under one hash tag ({q}), so
-- each script touches one Redis Cluster slot. Record keys are derived from
-- ARGV (the `j:` prefix) because a claim learns the job id inside the script.
-- ARGV[1]: a time override for `clock` (ledger/redis/lua/clock.lua, prepended).

local function id_of(member)
  return string.sub(member, 18)
end

-- The group exists from the first use on (and again after a Redis that lost
-- its data comes back).
local function ensure_group(run, group)
  redis.pcall('XGROUP', 'CREATE', run, group, '$', 'MKSTREAM')
end

local function wake(key)
  redis.call('XADD', key, 'MAXLEN', '~', 1000, '*', 'w', '1')
end

-- One fewer job of `user` waits; forget the user when they owe nothing.
local function forget(vt, user, vnow)
  local n = redis.call('HINCRBY', vt, 'n:' .. user, -1)
  if n <= 0 then
    redis.call('HDEL', vt, 'n:' .. user)
    local f = tonumber(redis.call('HGET', vt, 'f:' .. user) or '0')
    if f <= vnow then
      redis.call('HDEL', vt, 'f:' .. user)
    end
  end
end
