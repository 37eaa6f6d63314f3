-- The one refund path shared by settle, reap and cancel (prepended after prelude.lua).
-- KEYS: 1 meta, 2 log, 3 pend, 4 record, 5 usage, 6 win (running window
-- sums, windows.lua). The caller's last ARGV is the record retention in ms.
-- Charges `delivered` images of reservation `r`, returns the rest to where it
-- came from (prepaid credits first, then this reservation's window charge),
-- and drops it from the pending set. The caller writes the record.
local function finish(now, id, r, delivered)
  if delivered > r.n then
    delivered = r.n
  end
  local total = r.n * r.c
  local charged = delivered * r.c
  local refund = total - charged
  local to_credits = math.min(refund, r.fc)
  local to_windows = refund - to_credits
  if to_windows > 0 and r.wc > 0 then
    local left = math.max(r.wc - to_windows, 0)
    local w = load_windows(KEYS[2], KEYS[6])
    -- Only re-add a charge that was still in the log (not trimmed as too
    -- old); the sums that count it lose exactly what it gave back.
    if redis.call('ZREM', KEYS[2], r.wc .. '|' .. id) == 1 then
      charge_changed(w, r.t, -r.wc)
      if left > 0 then
        log_charge(w, r.t, left, id)
      end
      save_windows(w, nil)
    end
    r.wc = left
  end
  if to_credits > 0 then
    redis.call('HINCRBY', KEYS[1], 'credits', to_credits)
  end
  redis.call('ZREM', KEYS[3], id)
  r.ch = charged
  r.im = delivered
  return delivered, charged, refund
end

local function log_usage(now, id, images, charged, cost, outcome)
  local entry = '{"id":' .. cjson.encode(id) .. ',"at":' .. string.format('%d', now)
    .. ',"images":' .. images .. ',"credits":' .. charged
    .. ',"cost_micros":' .. cost .. ',"outcome":"' .. outcome .. '"}'
  redis.call('LPUSH', KEYS[5], entry)
  redis.call('LTRIM', KEYS[5], 0, 999)
end

-- Stores a finished record; from now on it lives for the retention only.
local function store_finished(r)
  redis.call('SET', KEYS[4], cjson.encode(r), 'PX', ARGV[#ARGV])
end
