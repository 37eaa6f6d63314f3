-- snapshot: waiting jobs in leaving order, then running ones.
-- KEYS: 1 wait, 2 run
-- ARGV: 1 group, 2 record key prefix
-- Returns {waiting count, id, user, images, credits, since, ... (running)}
ensure_group(KEYS[2], ARGV[1])
local out = {0}
local function add(id)
  local f = redis.call('HMGET', ARGV[2] .. id, 'user', 'images', 'credits', 'since')
  if f[1] then
    out[#out + 1] = id
    out[#out + 1] = f[1]
    out[#out + 1] = f[2]
    out[#out + 1] = f[3]
    out[#out + 1] = f[4]
    return 1
  end
  return 0
end
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  out[1] = out[1] + add(id_of(member))
end
for _, p in ipairs(redis.call('XPENDING', KEYS[2], ARGV[1], '-', '+', 100000)) do
  local got = redis.call('XRANGE', KEYS[2], p[1], p[1])
  if got[1] then
    add(got[1][2][2])
  end
end
return out
