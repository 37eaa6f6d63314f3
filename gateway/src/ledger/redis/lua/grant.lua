-- grant (redeem step 2, on the user's slot): apply a code's grant once per grant id.
-- A plan code never cuts a better current plan short (docs/ledger.md, "Codes"):
-- the same plan extends from its later expiry; a plan of higher priority
-- replaces the current one from now; any other plan while the current one is
-- active is refused ('held') and nothing is applied.
-- KEYS: 1 meta, 2 grants set
-- ARGV: 1 now override, 2 grant id, 3 credits (integer string), 4 plan ('' none), 5 plan days,
--       6 plans JSON ({name: {p = priority, ...}})
-- Returns {'applied'|'already', now, plan expiry (0: none)} or
--         {'held', now, current plan, its expiry (0: never)}.
local now = clock(ARGV[1])
if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 1 then
  return { 'already', now, 0 }
end
if ARGV[4] ~= '' then
  local plans = cjson.decode(ARGV[6])
  local meta = read_meta(KEYS[1])
  local current = plans[meta.plan]
  local active = current and (meta.plan_until == 0 or meta.plan_until > now)
  local wanted = plans[ARGV[4]]
  if active and meta.plan ~= ARGV[4] and wanted and wanted.p <= current.p then
    return { 'held', now, meta.plan, meta.plan_until }
  end
end
redis.call('SADD', KEYS[2], ARGV[2])
if ARGV[3] ~= '0' then
  redis.call('HINCRBY', KEYS[1], 'credits', ARGV[3])
end
local expiry = 0
if ARGV[4] ~= '' then
  expiry = assign_plan(KEYS[1], now, ARGV[4], tonumber(ARGV[5]))
end
return { 'applied', now, expiry }
