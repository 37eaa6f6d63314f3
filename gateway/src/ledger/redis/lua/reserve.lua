-- reserve: replay, access, in-flight cap, every window and the credit balance,
-- all or nothing, in one step on the user's slot.
-- With the guard (ARGV[16] == '1') also the safety cooldown and the plan's
-- burst cell (guards.lua), so admission is one step: the cell is taken only
-- when everything else admits, unless the request's pass shows it was paid.
-- KEYS: 1 meta, 2 log, 3 pend, 4 record, 5 win (running window sums, windows.lua),
--       6 blocks (ZSET), 7 burst TATs (HASH by plan), 8 the request's pass,
--       9 the user's API key index (HASH prefix -> entry JSON)
-- ARGV: 1 now override, 2 id, 3 images, 4 credits per image, 5 est cost (string),
--       6 backend, 7 plans JSON, 8 default plan, 9 access mode, 10 allowlisted (1/0),
--       11 lease ms, 12 longest window ms, 13 the lease hint's nonce, 14 quality,
--       15 edit (1/0), 16 guard (1/0), 17 cooldown window ms, 18 cooldown threshold,
--       19 the presented API key's prefix ('' none), 20 its hash
-- Returns {'admit'|'replay', now, images, from_windows, from_credits, lease_until,
--          state, day, est, backend, priority} or {'deny', now, reason, a, b}
--          (reason 'plan': a = what is forbidden, b = the plan's max n or -1;
--          'cooldown' / 'burst': a = until / retry at; 'key': the key is revoked).
local now = clock(ARGV[1])
local id = ARGV[2]

-- A key matched to this user from memory must still be theirs: first, so a
-- revoked key learns nothing else (not even a replay).
if ARGV[19] ~= '' then
  local entry = redis.call('HGET', KEYS[9], ARGV[19])
  if not entry or cjson.decode(entry).hash ~= ARGV[20] then
    return { 'deny', now, 'key' }
  end
end

local existing = redis.call('GET', KEYS[4])
if existing then
  local r = cjson.decode(existing)
  return { 'replay', now, r.n, r.fw, r.fc, r.l, r.s, r.d, r.e, r.b }
end

local images, cpi = tonumber(ARGV[3]), tonumber(ARGV[4])
local meta = read_meta(KEYS[1])
if meta.banned then
  return { 'deny', now, 'banned' }
end
local plans = cjson.decode(ARGV[7])
local plan_name, plan = effective_plan(meta, now, plans, ARGV[8], ARGV[9], ARGV[10])
if not plan and meta.credits <= 0 then
  if ARGV[9] == 'allowlist' then
    return { 'deny', now, 'not_allowed' }
  end
  return { 'deny', now, 'needs_code' }
end

-- The plan's policy, decided in this same atomic step as the windows: a plan
-- change racing this reserve is wholly before or wholly after it. A user on
-- prepaid credits alone is held to the default plan's rules.
local rules = plan
if not rules then
  rules, plan_name = plans[ARGV[8]], ARGV[8]
end
if rules then
  if images < 1 or images > rules.n then
    return { 'deny', now, 'plan', 'n', rules.n }
  end
  if next(rules.q) ~= nil and not rules.q[ARGV[14]] then
    return { 'deny', now, 'plan', 'quality', -1 }
  end
  if ARGV[15] == '1' and not rules.e then
    return { 'deny', now, 'plan', 'edit', -1 }
  end
end

local guard = ARGV[16] == '1'
if guard then
  local until_at = cooldown_until(KEYS[6], now, tonumber(ARGV[17]), tonumber(ARGV[18]))
  if until_at then
    return { 'deny', now, 'cooldown', until_at }
  end
end

if plan and plan.f > 0 then
  local running = redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf')
  if running >= plan.f then
    return { 'deny', now, 'in_flight', plan.f }
  end
end

local longest = tonumber(ARGV[12])
local w = load_windows(KEYS[2], KEYS[5])
local cost = images * cpi
local room = 0
local used = {}
if plan then
  room = nil
  for i, win in ipairs(plan.w) do
    used[i] = window_used(w, win[2], now)
    local free = win[1] - used[i]
    if room == nil or free < room then
      room = free
    end
  end
  if room == nil or room < 0 then
    room = 0
  end
end
trim_log(w, now, longest)
local from_windows = math.min(cost, room)
local from_credits = cost - from_windows

if from_credits > meta.credits then
  save_windows(w, nil)
  local fits = images
  if cpi > 0 then
    fits = math.min(images, math.floor((room + meta.credits) / cpi))
  end
  -- The earliest instant every window has room for what credits cannot pay:
  -- walk each window's charges oldest first until enough have aged out.
  local need = cost - meta.credits
  local retry = now
  if not plan then
    retry = -1
  else
    for i, win in ipairs(plan.w) do
      local limit, period = win[1], win[2]
      if need > limit then
        retry = -1
        break
      end
      local excess = used[i] - (limit - need)
      if excess > 0 then
        local at = frees_at(KEYS[2], now, period, excess)
        if at then
          retry = math.max(retry, at)
        end
      end
    end
  end
  return { 'deny', now, 'quota', fits, retry }
end

-- Last: a cell is spent only on a request that is otherwise admitted.
if guard and rules and rules.b and redis.call('EXISTS', KEYS[8]) == 0 then
  local retry_at = gcra_take(KEYS[7], plan_name, now, rules.b[1], rules.b[2])
  if retry_at then
    save_windows(w, nil)
    return { 'deny', now, 'burst', retry_at }
  end
end

local lease_until = now + tonumber(ARGV[11])
local day = math.floor(now / DAY)
local record = {
  s = 'p', t = now, n = images, c = cpi, fw = from_windows, fc = from_credits,
  wc = from_windows, l = lease_until, d = day, e = ARGV[5], b = ARGV[6], h = ARGV[13],
}
-- No expiry while pending: however long the reaper is away, the refund
-- finds the record. Finishing it starts the retention (finish.lua).
redis.call('SET', KEYS[4], cjson.encode(record))
redis.call('ZADD', KEYS[3], lease_until, id)
if from_windows > 0 then
  log_charge(w, now, from_windows, id)
  redis.call('PEXPIRE', KEYS[2], longest)
end
save_windows(w, longest)
if from_credits > 0 then
  redis.call('HINCRBY', KEYS[1], 'credits', -from_credits)
end
local priority = 0
if rules then
  priority = rules.p
end
return { 'admit', now, images, from_windows, from_credits, lease_until, 'p', day, ARGV[5], ARGV[6], priority }
