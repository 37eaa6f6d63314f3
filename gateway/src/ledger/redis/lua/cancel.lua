-- cancel: undo a reservation the spend cap refused. Full refund, no usage
-- entry, and the record is deleted: a denial is not stored, so a replay of the
-- id is evaluated again.
-- KEYS: 1 meta, 2 log, 3 pend, 4 record, 5 usage
-- ARGV: 1 now override, 2 id
-- Returns 1 if this call cancelled it, 0 if it was no longer pending.
local now = clock(ARGV[1])
local raw = redis.call('GET', KEYS[4])
if not raw then
  return 0
end
local r = cjson.decode(raw)
if r.s ~= 'p' then
  return 0
end
finish(now, ARGV[2], r, 0)
redis.call('DEL', KEYS[4])
return 1
