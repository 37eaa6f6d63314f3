-- status: the user's plan, windows, credits, in-flight count and ban. It
-- changes nothing a user could see; it only moves the window sums' cursors.
-- KEYS: 1 meta, 2 log, 3 pend, 4 win (running window sums, windows.lua)
-- ARGV: 1 now override, 2 plans JSON, 3 default plan, 4 access mode, 5 allowlisted,
--       6 longest window ms
-- Returns {now, plan or '', plan expiry (0: none), credits, in_flight, banned,
--          then per window: limit, period ms, used, next_free_at (-1: none)}.
local now = clock(ARGV[1])
local meta = read_meta(KEYS[1])
local plans = cjson.decode(ARGV[2])
local name, plan, expiry = effective_plan(meta, now, plans, ARGV[3], ARGV[4], ARGV[5])
local running = redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf')
local out = { now, name or '', expiry, meta.credits_raw, running, meta.banned and 1 or 0 }
if plan then
  local w = load_windows(KEYS[2], KEYS[4])
  for _, win in ipairs(plan.w) do
    local used = window_used(w, win[2], now)
    local oldest = nil
    if used > 0 then
      oldest = oldest_in(KEYS[2], now, win[2])
    end
    out[#out + 1] = win[1]
    out[#out + 1] = win[2]
    out[#out + 1] = used
    out[#out + 1] = oldest and (oldest + win[2]) or -1
  end
  save_windows(w, nil)
end
return out
