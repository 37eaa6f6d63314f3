-- settle: finish a reservation once (delivered images or a full refund).
-- KEYS: 1 meta, 2 log, 3 pend, 4 record, 5 usage
-- ARGV: 1 now override, 2 id, 3 'delivered'|'failed', 4 images delivered, 5 cost micros (string),
--       6 record retention ms
-- Returns {'unknown', now}
--       | {'settled_before'|'refunded_before', now, day, backend, final cost, hint nonce, charged, images}
--       | {'done', now, day, backend, final cost, hint nonce, charged, images, refunded}.
-- The final cost, charge and images delivered are the record's (what the
-- day's spend and top list must show), so a caller can book or correct them
-- from this reply.
-- Images a finished record delivered; a record finished before `im` was
-- kept says so through its charge.
local function delivered_of(r)
  if r.im then
    return r.im
  end
  if (r.c or 0) > 0 then
    return math.floor((r.ch or 0) / r.c)
  end
  return 0
end

local now = clock(ARGV[1])
local id = ARGV[2]
local raw = redis.call('GET', KEYS[4])
if not raw then
  return { 'unknown', now }
end
local r = cjson.decode(raw)
if r.s == 's' then
  return { 'settled_before', now, r.d, r.b, r.k or '0', r.h or '', r.ch or 0, delivered_of(r) }
end
if r.s == 'r' then
  redis.call('HINCRBY', KEYS[1], 'late_settles', 1)
  -- The refund's own final cost (0, or the reaped estimate) stands.
  return { 'refunded_before', now, r.d, r.b, r.k or '0', r.h or '', 0, 0 }
end

local delivered, cost, outcome = 0, '0', 'failed'
if ARGV[3] == 'delivered' then
  delivered, cost = tonumber(ARGV[4]), ARGV[5]
end
local images, charged, refunded = finish(now, id, r, delivered)
if ARGV[3] == 'delivered' then
  r.s = 's'
  if images == r.n then
    outcome = 'delivered'
  elseif images > 0 then
    outcome = 'partial'
  end
else
  r.s = 'r'
end
r.k = cost
store_finished(r)
log_usage(now, id, images, charged, cost, outcome)
return { 'done', now, r.d, r.b, cost, r.h or '', charged, images, refunded }
