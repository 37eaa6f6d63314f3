-- spend_book: book a finished request on its reservation's day: its final
-- cost in the day's spend (total, per backend), the images it delivered (the
-- day's 'images' field) and the credits charged for it in the day's top
-- list. Idempotent per request: the request's field says what is booked
-- ('s:<cost>:<credits>:<images>'; a bare number is an estimate held by
-- spend_hold; 's:<cost>' and 's:<cost>:<credits>' are rows booked before top
-- lists and image counts moved here, counted as 0 of what they lack).
-- KEYS: 1 the day's spend hash, 2 the day's top list (HASH user -> credits)
-- ARGV: 1 request (`<user>|<id>`: ids are unique per user only), 2 user,
--       3 final cost micros (integer string), 4 credits charged, 5 backend,
--       6 mode: 'first' books unless the request is already booked (a settle
--       that does not know yet whether it took effect), 'force' replaces what
--       is booked (the caller read the reservation's final state), 'undo'
--       removes exactly this booking (the reservation turned out unknown),
--       7 spend ttl ms, 8 top ttl ms, 9 images delivered
-- Returns 1 if this call changed the bookings, 0 if it changed nothing.
local field = 'r:' .. ARGV[1]
local mode = ARGV[6]
local booked = 's:' .. ARGV[3] .. ':' .. ARGV[4] .. ':' .. ARGV[9]
local held = redis.call('HGET', KEYS[1], field)
if held == booked and mode ~= 'undo' then
  return 0
end
local old_cost, old_credits, old_images = 0, 0, 0
if held then
  local cost, credits, images = string.match(held, '^s:(%-?%d+):?(%d*):?(%d*)$')
  if cost then
    if mode == 'first' then
      return 0
    end
    if mode == 'undo' and held ~= booked then
      return 0
    end
    old_cost, old_credits = tonumber(cost), tonumber(credits) or 0
    old_images = tonumber(images) or 0
  else
    old_cost = tonumber(held) or 0
  end
elseif mode == 'undo' then
  return 0
end
local cost, credits, images = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[9])
if mode == 'undo' then
  cost, credits, images = 0, 0, 0
end
local delta = cost - old_cost
if delta ~= 0 then
  redis.call('HINCRBY', KEYS[1], 'total', delta)
  redis.call('HINCRBY', KEYS[1], 'b:' .. ARGV[5], delta)
end
if images ~= old_images then
  redis.call('HINCRBY', KEYS[1], 'images', images - old_images)
end
if mode == 'undo' then
  redis.call('HDEL', KEYS[1], field)
else
  redis.call('HSET', KEYS[1], field, booked)
end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
local moved = credits - old_credits
if moved ~= 0 then
  -- A user whose bookings were all taken back leaves the top list.
  if redis.call('HINCRBY', KEYS[2], ARGV[2], moved) <= 0 then
    redis.call('HDEL', KEYS[2], ARGV[2])
  end
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
end
return 1
