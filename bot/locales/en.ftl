# Easel's English messages. Every key here must exist in zh-CN.ftl with the
# same placeables (a test checks it). Plain text only: adapters send these
# without markup, so no escaping is needed.

## Durations and times

dur-s = { $s } s
dur-m = { $m } min
dur-h = { $h } h
dur-hm = { $h } h { $m } min
dur-d = { $d } d
dur-dh = { $d } d { $h } h
time-in = in { $dur }
time-now = now
date-utc = { $date } UTC

## Quota

quota-window = { $left }/{ $limit } left in this { $period } window
quota-window-next = { $left }/{ $limit } left in this { $period } window, next +1 { $when }
quota-credits = { $credits ->
    [one] { $credits } prepaid credit
   *[other] { $credits } prepaid credits
}
quota-plan = Plan: { $plan }
quota-plan-until = Plan: { $plan }, until { $date } ({ $when })
quota-no-plan = No plan yet: redeem an access code with /redeem CODE.
quota-in-flight = { $n ->
    [one] { $n } request running now
   *[other] { $n } requests running now
}
quota-banned = This account is banned. Ask an admin if you think that is a mistake.

## Denials: why, and when it can work. Nothing is charged for any of them.

denial-banned = This account is banned. Ask an admin if you think that is a mistake.
denial-needs-code = You need an access code first: send /redeem CODE.
denial-not-allowed = This bot is invite-only. Ask an admin to add you.
denial-quota = Quota used up; try again { $when }, or redeem a code with /redeem. Nothing was charged.
denial-quota-window = Quota used up: { $left } of { $limit } left in this { $period } window; try again { $when }, or redeem a code with /redeem. Nothing was charged.
denial-quota-fits = Not enough quota for all of that: { $fits ->
    [one] { $fits } image fits
   *[other] { $fits } images fit
} right now (use --n { $fits }), or try the full request { $when }. Nothing was charged.
denial-quota-too-big = This request needs more credits than your plan allows in one window. Ask for fewer images or a lower quality (up to { $fits } fit now). Nothing was charged.
denial-in-flight = You already have { $limit ->
    [one] { $limit } request
   *[other] { $limit } requests
} running. Send the next one when it is done.
denial-burst = Slow down a little: try again { $when }.
denial-budget = Easel's daily budget is used up. It resets at 00:00 UTC ({ $when }). Nothing was charged.
denial-too-costly = This request would cost more than one request may. Nothing was charged; ask for fewer images, a lower quality or a smaller size.
denial-plan-n = Your plan allows at most { $max } images per request: use --n { $max } or fewer.
denial-plan-quality = Your plan does not include this quality. Try --q medium or --q low.
denial-plan-edit = Your plan does not include editing images. Send a text prompt instead, or redeem a code with /redeem.
denial-plan-size = Your plan does not include this size. Try --ar instead of --size.
denial-plan-inputs = At most { $max } images fit in one request. Send { $max } or fewer; nothing was charged.
denial-plan-other = Your plan does not allow this ({ $what }).
denial-redeem-rate = Too many code attempts. Try again { $when }.
denial-cooldown = Paused after repeated safety blocks. Try again { $when }.
denial-restarting = Easel is restarting and takes no new requests right now. Nothing was charged; try again shortly.
denial-key-revoked = That API key was revoked. Nothing was charged; create a new key with /apikey.
denial-size = { $size } is not a size this model can draw: both sides must be multiples of { $multiple }, the long side at most { $max_edge } px, the shape at most { $max_ratio }:1, and { $min_pixels } to { $max_pixels } pixels in all. Nothing was charged; try { $suggestion }.

## Access codes

redeem-ok = Code redeemed.
redeem-credits = { $credits ->
    [one] { $credits } credit added.
   *[other] { $credits } credits added.
}
redeem-plan = Plan { $plan } is now yours, with no end date.
redeem-plan-until = Plan { $plan } is now yours until { $date } ({ $when }).
redeem-already = You already redeemed this code.
redeem-invalid = That code is not valid. Check it for typos.
redeem-expired = That code has expired.
redeem-used-up = That code has been used up.
redeem-revoked = That code was revoked.
redeem-plan-held = You already have plan { $plan } until { $date } ({ $when }), and this code's plan would cut it short. The code was not used: redeem it after that.
redeem-plan-held-forever = You already have plan { $plan } with no end date, and this code's plan would not improve it. The code was not used.

## Admin replies

admin-granted = Granted { $credits } credits to { $user }.
admin-deducted = Deducted { $credits } credits from { $user }.
admin-plan-default = { $user } is back on the default plan.
admin-plan-set = { $user } is now on plan { $plan }.
admin-plan-set-days = { $user } is now on plan { $plan } for { $days } days.
admin-banned = { $user } is banned.
admin-unbanned = { $user } is no longer banned.
admin-revoked = Code { $id } revoked.
admin-unknown-user = I have not seen @{ $name } yet. Use their numeric id, or reply to one of their messages with `reply` as USER.
admin-minted = { $count } new codes (code, then its id for /codes revoke):
admin-codes-empty = No access codes yet. Mint some with /codes mint.
admin-code-revoked = revoked
admin-code-expired = expired
admin-code-until = redeemable until { $date }
admin-code-open = no expiry
admin-code-line = { $id }: { $uses }/{ $max } used, { $credits } credits, plan { $plan } ({ $days } days), { $state } { $note }
admin-usage-title = Recent usage of { $user }:
admin-usage-empty = Nothing yet.
admin-outcome-delivered = delivered
admin-outcome-partial = partly delivered
admin-outcome-failed = failed, refunded
admin-outcome-expired = worker lost, refunded
admin-usage-line = { $date }: { $images } images, { $credits } credits, { $cost }, { $outcome }
admin-top-title = Top users, last { $days } days:
admin-top-line = { $rank }. { $user }: { $credits } credits
admin-stats = Spend today: { $spent } of { $cap } ({ $percent }%).
admin-stats-nocap = Spend today: { $spent } (no daily cap set).
admin-budget-reached = The daily budget of { $cap } is reached. New requests are refused until 00:00 UTC.
admin-sent-privately = I sent you the answer in a private chat (it holds codes or personal data).
admin-open-private-chat = This answer holds codes or personal data, so it only goes to a private chat, and I cannot write to you yet: start a private chat with me first ({ $link }), then ask again.
admin-model-retiring = Model { $model } (backend { $backend }, set at { $key }) shuts down on { $date }, in { $days } days. Set a current model there before then.
admin-model-gone = The provider says model { $model } (backend { $backend }, set at { $key }) does not exist for our key; the next backend serves meanwhile. Image models the key can use: { $usable }.
admin-model-usable-none = none listed

## Help and start

start = Hi! I draw and edit pictures. Send me what you want to see, or a photo with a caption saying what to change. Reply to any picture of mine to change it again.
help-intro = Send a description and I draw it. Send photos with a caption to edit them. Reply to one of my pictures to refine it. In groups, use /img, mention me, or reply to me.
help-flags = Options, anywhere in the text (-- ends them):
flag-ar = W:H, e.g. 1:1, 3:2, 16:9 (1-100 each side)
flag-size = WxH in pixels, e.g. 1024x1536 (64-4096 each side)
flag-q = auto, low, medium, high
flag-n = 1-10 images
flag-bg = auto, transparent, opaque
flag-fmt = png, jpeg, webp
help-admin = Admin commands (USER = id, tg:123, dc:456, @name, or reply):
usage-start = /start
usage-help = /help
usage-imagine = /imagine PROMPT (or /img)
usage-quota = /quota
usage-redeem = /redeem CODE
usage-settings = /settings [ar 16:9] [q high] [n 2] [bg auto] [fmt png] | reset
usage-lang = /lang en|zh
usage-forget = /forget [confirm]
usage-web = /web
usage-apikey = /apikey [create | list | revoke PREFIX]
usage-grant = /grant USER N [reason]
usage-deduct = /deduct USER N [reason]
usage-plan = /plan USER NAME|default [days]
usage-ban = /ban USER [reason]
usage-unban = /unban USER
usage-codes = /codes mint COUNT [credits=N] [plan=NAME] [days=N] [uses=N] [expires=7d] [note=...] | list | revoke ID
usage-usage = /usage USER | /usage top [days]
usage-stats = /stats
help-cmd-start = say hello
help-cmd-help = this help
help-cmd-imagine = draw a picture (in groups)
help-cmd-quota = what you have left and when more frees up
help-cmd-redeem = redeem an access code
help-cmd-settings = your default options
help-cmd-lang = choose English or Chinese
help-cmd-forget = delete your stored prompts and images
help-cmd-web = a one-time link to sign in to the web pages (playground) as you
help-cmd-apikey = keys for the OpenAI-compatible API (use your quota from scripts)
help-cmd-grant = add prepaid credits
help-cmd-deduct = take prepaid credits away
help-cmd-plan = assign a plan, or return to the default
help-cmd-ban = refuse all requests from a user
help-cmd-unban = lift a ban
help-cmd-codes = mint, list or revoke access codes
help-cmd-usage = a user's usage, or the top users
help-cmd-stats = today's spend against the daily cap

## Problems with a message

problem-unknown-command = I don't know /{ $command }. Try: { $commands }
problem-empty-prompt = Describe what you want to see, e.g. "a red fox in the snow --ar 3:2".
problem-not-admin = Only Easel's admins can use this command.
problem-usage-missing = /{ $command }: { $arg } is missing. Usage: { $usage }
problem-usage-bad = /{ $command }: "{ $given }" is not a valid { $arg }. Usage: { $usage }
problem-usage-extra = /{ $command }: did not expect "{ $given }". Usage: { $usage }
problem-usage-no-reply = /{ $command }: { $arg } "reply" means the author of the message you reply to, but this message replies to none. Usage: { $usage }
problem-flag-unknown = Unknown option { $flag }. Options: { $flags }
problem-flag-missing = { $flag } needs a value: { $allowed }.
problem-flag-bad = "{ $value }" is not valid for { $flag }: use { $allowed }.

## Small commands

settings-show = Your defaults: { $options }
settings-saved = Saved. Your defaults: { $options }
settings-hint = Change them with e.g. /settings ar 16:9 q high n 2, or /settings reset. Options in a prompt win over these.
lang-set = I will answer in English from now on.
forget-ask = This deletes your stored prompts and images (your quota usage stays). Send /forget confirm to go ahead.
forget-done = Done: your stored prompts and images are deleted.
ask-change = What should I change? Reply to this message with your words.

## Progress, buttons, failures

progress-queued = Queued, position { $position } ({ $elapsed })
progress-running = Drawing… { $elapsed }
progress-cancelled = Cancelled. Nothing was charged.
button-again = Again
button-vary = Vary
button-edit = Edit
button-original = Original
button-cancel = Cancel
error-internal = Something went wrong on our side (request { $id }). Nothing was charged; please try again.
error-unavailable = Easel is temporarily unavailable. Nothing was charged; please try again in a minute.
error-busy = Easel is busy reading other people's large photos right now. Nothing was charged; please send yours again in a minute.

## Job failures and results (nothing is charged for a failure)

failure-busy = The image service is busy right now. Nothing was charged; try again { $when }.
failure-busy-later = The image service is busy right now. Nothing was charged; try again in a minute.
failure-unavailable = The image service is unavailable; the admins were told. Nothing was charged.
failure-blocked = The safety system refused this ({ $reason }). Nothing was charged; change the prompt or images.
failure-rejected = The image service refused this request ({ $reason }). Nothing was charged; change the options or images.
failure-failed = No image came back. Nothing was charged; please try again.
failure-timed-out = The image took too long. Nothing was charged; please try again.
failure-too-many-queued = You already have { $limit } requests waiting. Nothing was charged; send the next one when one is done.
failure-shutting-down = Easel is restarting. Nothing was charged; try again in a minute.
failure-model-unavailable = The image model this bot uses is not available right now; the admins were told. Nothing was charged.
failure-reservation-lost = The job was stopped because its quota hold could not be kept, so nothing was delivered. Nothing was charged; please try again.
input-bad = Image { $index } cannot be used: { $reason }. Nothing was charged; send a PNG, JPEG or WebP photo.
input-too-large = Image { $index } is larger than { $mb } MB. Nothing was charged; send a smaller one.
input-expired = That image is no longer stored (results are kept for a limited time). Nothing was charged; send the picture again.
original-expired = The original file has expired (results are kept for a limited time).
result-unknown = I do not know that result any more. Send the prompt again.
cancel-too-late = Too late to cancel: the image is already being drawn.
admin-only-own = This button belongs to someone else's request.
image-empty = the file is empty
image-too-many-bytes = the file is too big
image-not-an-image = it is not an image
image-unsupported-format = its format is not supported
image-too-large = it has too many pixels
image-truncated = the file looks cut off
image-corrupt = the image is damaged
image-mask-without-alpha = the mask has no transparent areas
image-internal = it could not be processed

## Discord (modals, context menu, notes under results)

change-label = What should change?
input-unreadable = I could not read the image of that message. Nothing was charged; attach it with /edit instead.
result-preview-note = The original is larger than this chat allows, so this is a preview; the Original button sends the file where it fits.
mask-bad = The mask cannot be used: { $reason }. Nothing was charged; send a PNG of the same picture with the parts to change made transparent.

## easel try (the operator's terminal)

progress-retrying = The image service is busy; trying again (attempt { $attempt })…
progress-partial = A preview of image { $image } arrived…
try-saved = Saved { $path } ({ $bytes } bytes, the provider's original file)
try-quota = Quota left: { $quota }
try-operator-access = Note: access.mode is "{ $mode }"; easel try gives { $user } the default plan "{ $plan }" unless it has a plan of its own (bans and every limit still apply).

# /apikey: keys of the OpenAI-compatible API
apikey-created = Your new API key (shown only this once; keep it secret):
    { $key }
    Use it as the api_key of any OpenAI SDK, with base_url set to this service's /v1 address. Requests use your quota. Revoke it with /apikey revoke { $prefix }
apikey-none = You have no API keys. Create one with /apikey create.
apikey-list = Your API keys:
apikey-item = { $prefix }… created { $date }
apikey-revoked = Key { $prefix }… revoked: it no longer works.
apikey-unknown = You have no key { $prefix }…; /apikey lists yours.
apikey-bad-prefix = "{ $given }" is not a key prefix; it looks like easel-sk-AbCd1234 (see /apikey).

# Web pages (bot/src/web): the shell, sign-in, sign-in links, refusals
web-skip = Skip to content
web-nav-label = Main
web-nav-overview = Overview
web-nav-users = Users
web-nav-codes = Codes
web-nav-plans = Plans
web-nav-audit = Audit
web-nav-queue = Queue
web-nav-play = Playground
web-signout = Sign out
web-lang-label = Language
web-lang-apply = Apply
web-signin-title = Sign in
web-signin-token = Admin token
web-signin-submit = Sign in
web-signin-wrong = That is not the admin token. Check http.admin_token (or EASEL_ADMIN_TOKEN) and try again.
web-signin-disabled = Admin sign-in is off: no admin token is set (http.admin_token).
web-signin-chat-hint = Not an admin? Send /web to the bot in Telegram or Discord to get a sign-in link for your own account.
web-link-title = Sign in to Easel
web-link-intro = This link signs you in with your chat account: the same quota and history as in the chat. It works once.
web-link-continue = Continue
web-link-gone-title = This link no longer works
web-link-gone = This sign-in link was already used or has expired. Send /web to the bot for a new one.
web-signed-in-as = Signed in as { $user }
web-overview-title = Overview
web-play-title = Playground
web-err-title = Not possible
web-err-home = Back to the start page
web-err-signin = Please sign in first.
web-err-admin-only = This page is for admins only.
web-err-csrf = This form has expired or was not sent by this site. Reload the page and try again.
web-err-cross-site = Changes can only be made from Easel's own pages.
web-err-bad-form = The form was incomplete. Reload the page and try again.
web-err-too-many = Too many sign-in attempts. Try again in { $seconds } s.
web-err-unavailable = Easel cannot reach its store right now. Try again in a moment.

## Web dashboard (admins)

web-dash-refused = Not done:
web-dash-no-runner = This process runs no jobs, so it has no queue or backend numbers.
web-dash-unavailable = Easel cannot reach its store right now. Try again in a moment.
web-dash-spend-today = Spend today (UTC)
web-dash-spend-of-cap = { $spent } of { $cap }
web-dash-no-cap = No daily spend cap is set (spend.daily_cap_micros).
web-dash-queue-depth = Queue
web-dash-queue-counts = { $waiting } waiting, { $running } running
web-dash-last-days = Last { $days } days
web-dash-chart-images = Images delivered per day
web-dash-chart-cost = Cost per day
web-dash-chart-credits = Credits charged per day
web-dash-errors = Upstream errors since start
web-dash-errors-none = No upstream errors since this process started.
web-dash-backend = Backend
web-dash-error-kind = Kind
web-dash-count = Count
web-dash-find-label = User
web-dash-find-hint = A user key (tg:123456, dc:123456) or a @username the bot has seen.
web-dash-find = Find
web-dash-no-such-user = No user found. Use tg:<id> or dc:<id>, or a @username the bot has seen.
web-dash-credits = Credits
web-dash-amount = Amount
web-dash-reason = Reason
web-dash-grant = Grant
web-dash-deduct = Deduct
web-dash-plan = Plan
web-dash-default-plan = Default plan
web-dash-no-plan = No plan
web-dash-days = Days (0: no end)
web-dash-set-plan = Set plan
web-dash-ban = Ban
web-dash-unban = Lift the ban
web-dash-recent = Recent requests
web-dash-recent-none = No requests yet.
web-dash-when = When
web-dash-images = Images
web-dash-cost = Cost
web-dash-outcome = Outcome
web-dash-done-credits = Credits changed.
web-dash-done-plan = Plan set.
web-dash-done-ban = User banned.
web-dash-done-unban = Ban lifted.
web-dash-done-revoked = Code revoked: it can no longer be redeemed.
web-dash-done-cancelled = Job cancelled and fully refunded.
web-dash-done-started = That job had already started; it runs to the end.
web-dash-done-gone = Nothing to do: it no longer exists.
web-dash-mint = Mint codes
web-dash-max-uses = Users per code
web-dash-redeem-days = Redeemable for days (0: no limit)
web-dash-note = Note
web-dash-minted = New codes
web-dash-minted-once = Copy them now: they are shown this once and never again.
web-dash-copy = Copy
web-dash-copy-all = Copy all
web-dash-code-list = Codes
web-dash-codes-none = No codes yet.
web-dash-csv = Download as CSV
web-dash-grants = Grants
web-dash-uses = Used
web-dash-created = Created
web-dash-revoke = Revoke
web-dash-revoked = Revoked
web-dash-plans-hint = Plans come from the config file; reload it to change them. Usage counts users charged today (UTC).
web-dash-plan-today = Today: { $users } users, { $credits } credits
web-dash-plan-window = { $limit } credits per { $period }
web-dash-plan-limits = Up to { $n } images per request, { $inflight } at once, priority { $priority }
web-dash-plan-edit = May edit images
web-dash-plan-no-edit = May not edit images
web-dash-audit-none = No admin changes yet.
web-dash-actor = By
web-dash-user = User
web-dash-action = Action
web-dash-detail = Detail
web-dash-refresh = Refresh
web-dash-waiting = Waiting
web-dash-running = Running
web-dash-queue-empty = None.
web-dash-since = Since
web-dash-cancel = Cancel
## Web playground (/play)

web-play-prompt = What should Easel draw?
web-play-placeholder = a red fox in the snow --ar 3:2
web-play-photos = Photos to edit (drop them here or choose files)
web-play-draw = Draw
web-play-refining = Refining the chosen result: describe what to change.
web-play-unrefine = Start fresh instead
web-play-refine = Refine
web-play-history = Your results
web-play-empty = Nothing yet: your results from the playground and the chat appear here.
web-play-chat-only = The playground only draws. Commands work in the chat with the bot.
web-play-failed-request = The request did not reach Easel. Nothing was charged; please try again.
# /web: a one-time sign-in link to the web pages (sent without a link preview)
web-chat-link = Your sign-in link to the web pages (it works once, until { $expires }; keep it to yourself, it signs in as you):
    { $url }
web-chat-off = The web pages are not set up here (the operator has not set http.public_url).
