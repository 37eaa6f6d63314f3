-- reap: refund one reservation if it is still pending and its lease expired.
-- The global lease index is only a hint; this script's check is authoritative,
-- so two reapers racing refund each reservation once.
-- KEYS: 1 meta, 2 log, 3 pend, 4 record, 5 usage
-- ARGV: 1 now override, 2 id, 3 record retention ms
-- Returns {'gone', now} | {'alive', now, lease_until} | {'reaped', now, day, backend, estimate}.
local now = clock(ARGV[1])
local id = ARGV[2]
local raw = redis.call('GET', KEYS[4])
if not raw then
  return { 'gone', now }
end
local r = cjson.decode(raw)
if r.s ~= 'p' then
  return { 'gone', now }
end
local lease = tonumber(redis.call('ZSCORE', KEYS[3], id))
if lease and lease > now then
  return { 'alive', now, lease }
end
finish(now, id, r, 0)
-- The worker vanished after its upstream call may have been billed: the
-- estimate stands as the cost (the caller books it in the day's spend).
r.s, r.k = 'r', r.e or '0'
store_finished(r)
log_usage(now, id, 0, 0, r.k, 'expired')
return { 'reaped', now, r.d, r.b, r.e }
