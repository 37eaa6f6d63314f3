# Easel 的简体中文消息。键与占位符必须与 en.ftl 完全一致（有测试检查）。
# 纯文本：适配器原样发送，无需转义。

## 时长与时间

dur-s = { $s } 秒
dur-m = { $m } 分钟
dur-h = { $h } 小时
dur-hm = { $h } 小时 { $m } 分钟
dur-d = { $d } 天
dur-dh = { $d } 天 { $h } 小时
time-in = { $dur }后
time-now = 现在
date-utc = { $date } UTC

## 额度

quota-window = 本 { $period } 窗口剩余 { $left }/{ $limit }
quota-window-next = 本 { $period } 窗口剩余 { $left }/{ $limit }，{ $when }再 +1
quota-credits = 预付额度 { $credits } 点
quota-plan = 套餐：{ $plan }
quota-plan-until = 套餐：{ $plan }，有效期至 { $date }（{ $when }）
quota-no-plan = 还没有套餐：请用 /redeem 兑换码 兑换。
quota-in-flight = 正在进行的请求：{ $n } 个
quota-banned = 此账号已被封禁。如有误会，请联系管理员。

## 拒绝：原因，以及何时可以再试。所有拒绝都不扣额度。

denial-banned = 此账号已被封禁。如有误会，请联系管理员。
denial-needs-code = 需要先兑换邀请码：发送 /redeem 兑换码。
denial-not-allowed = 本机器人仅限受邀用户使用，请联系管理员添加。
denial-quota = 额度已用完；请{ $when }再试，或用 /redeem 兑换码。本次未扣额度。
denial-quota-window = 额度已用完：本 { $period } 窗口剩余 { $left }/{ $limit }；请{ $when }再试，或用 /redeem 兑换码。本次未扣额度。
denial-quota-fits = 额度不足：现在只够生成 { $fits } 张（可用 --n { $fits }），完整请求请{ $when }再试。本次未扣额度。
denial-quota-too-big = 这个请求所需额度超过套餐单个窗口的上限。请减少张数或降低画质（现在最多可生成 { $fits } 张）。本次未扣额度。
denial-in-flight = 你已有 { $limit } 个请求在进行中，请等它完成后再发。
denial-burst = 请稍慢一点：{ $when }再试。
denial-budget = Easel 今日预算已用完，将于 UTC 00:00 重置（{ $when }）。本次未扣额度。
denial-too-costly = 这个请求的费用超过了单次请求的上限。本次未扣额度；请减少图片数量、降低质量或缩小尺寸。
denial-plan-n = 你的套餐每次最多生成 { $max } 张：请使用 --n { $max } 或更少。
denial-plan-quality = 你的套餐不包含此画质。请试试 --q medium 或 --q low。
denial-plan-edit = 你的套餐不包含图片编辑。请改发文字描述，或用 /redeem 兑换码。
denial-plan-size = 你的套餐不包含此尺寸。请用 --ar 代替 --size。
denial-plan-inputs = 每次请求最多 { $max } 张图片。请发送 { $max } 张或更少；未扣额度。
denial-plan-other = 你的套餐不允许此操作（{ $what }）。
denial-redeem-rate = 兑换尝试过于频繁，请{ $when }再试。
denial-cooldown = 多次触发安全拦截，已暂停使用，请{ $when }再试。
denial-restarting = Easel 正在重启，暂不接收新请求。未扣额度，请稍后再试。
denial-key-revoked = 该 API 密钥已被撤销。未扣额度；请用 /apikey 创建新密钥。
denial-size = 此模型无法生成 { $size } 尺寸：宽和高都必须是 { $multiple } 的倍数，长边不超过 { $max_edge } 像素，长宽比不超过 { $max_ratio }:1，总像素在 { $min_pixels } 到 { $max_pixels } 之间。未扣额度，请试试 { $suggestion }。

## 兑换码

redeem-ok = 兑换成功。
redeem-credits = 已增加 { $credits } 点额度。
redeem-plan = 已开通套餐 { $plan }，长期有效。
redeem-plan-until = 已开通套餐 { $plan }，有效期至 { $date }（{ $when }）。
redeem-already = 你已经兑换过这个码了。
redeem-invalid = 兑换码无效，请检查是否输错。
redeem-expired = 兑换码已过期。
redeem-used-up = 兑换码已被用完。
redeem-revoked = 兑换码已被作废。
redeem-plan-held = 你已拥有 { $plan } 套餐，有效期至 { $date }（{ $when }），此兑换码的套餐会缩短它。兑换码未被使用：请在那之后再兑换。
redeem-plan-held-forever = 你已拥有永久的 { $plan } 套餐，此兑换码的套餐不会更好。兑换码未被使用。

## 管理员回复

admin-granted = 已给 { $user } 增加 { $credits } 点额度。
admin-deducted = 已从 { $user } 扣除 { $credits } 点额度。
admin-plan-default = { $user } 已恢复为默认套餐。
admin-plan-set = { $user } 的套餐已设为 { $plan }。
admin-plan-set-days = { $user } 的套餐已设为 { $plan }，为期 { $days } 天。
admin-banned = 已封禁 { $user }。
admin-unbanned = 已解除对 { $user } 的封禁。
admin-revoked = 兑换码 { $id } 已作废。
admin-unknown-user = 我还没见过 @{ $name }。请用其数字 ID，或回复其消息并以 reply 作为用户。
admin-minted = 新生成 { $count } 个兑换码（兑换码，括号内为用于 /codes revoke 的 ID）：
admin-codes-empty = 还没有兑换码。用 /codes mint 生成。
admin-code-revoked = 已作废
admin-code-expired = 已过期
admin-code-until = 可兑换至 { $date }
admin-code-open = 无截止日期
admin-code-line = { $id }：已用 { $uses }/{ $max }，{ $credits } 点额度，套餐 { $plan }（{ $days } 天），{ $state } { $note }
admin-usage-title = { $user } 的近期用量：
admin-usage-empty = 暂无记录。
admin-outcome-delivered = 已交付
admin-outcome-partial = 部分交付
admin-outcome-failed = 失败，已退还
admin-outcome-expired = 任务丢失，已退还
admin-usage-line = { $date }：{ $images } 张，{ $credits } 点额度，{ $cost }，{ $outcome }
admin-top-title = 最近 { $days } 天用量最多的用户：
admin-top-line = { $rank }. { $user }：{ $credits } 点额度
admin-stats = 今日花费：{ $spent } / { $cap }（{ $percent }%）。
admin-stats-nocap = 今日花费：{ $spent }（未设每日上限）。
admin-budget-reached = 已达到每日预算 { $cap }。UTC 00:00 之前的新请求都会被拒绝。
admin-sent-privately = 答复已通过私聊发给你（其中含有兑换码或个人数据）。
admin-open-private-chat = 此答复含有兑换码或个人数据，只能私聊发送，而我还不能给你发消息：请先与我开始私聊（{ $link }），然后再问一次。
admin-model-retiring = 模型 { $model }（后端 { $backend }，配置项 { $key }）将于 { $date } 停用，还剩 { $days } 天。请在此之前改用当前模型。
admin-model-gone = 服务商表示模型 { $model }（后端 { $backend }，配置项 { $key }）对我们的密钥不存在；期间由下一个后端提供服务。该密钥可用的图像模型：{ $usable }。
admin-model-usable-none = 未列出

## 帮助与开始

start = 你好！我可以画图和改图。发给我你想看到的画面，或发一张带说明的照片告诉我要改什么。回复我画的任何一张图，就能继续修改。
help-intro = 发送描述，我来画。发送带说明的照片，我来修改。回复我的图片可以继续调整。在群里请用 /img、@我，或回复我。
help-flags = 选项（可写在文字任意位置，-- 之后不再解析）：
flag-ar = 宽:高，例如 1:1、3:2、16:9（每边 1-100）
flag-size = 宽x高（像素），例如 1024x1536（每边 64-4096）
flag-q = auto、low、medium、high
flag-n = 1-10 张
flag-bg = auto、transparent、opaque
flag-fmt = png、jpeg、webp
help-admin = 管理员命令（用户 = ID、tg:123、dc:456、@用户名 或 reply）：
usage-start = /start
usage-help = /help
usage-imagine = /imagine 描述（或 /img）
usage-quota = /quota
usage-redeem = /redeem 兑换码
usage-settings = /settings [ar 16:9] [q high] [n 2] [bg auto] [fmt png] | reset
usage-lang = /lang en|zh
usage-web = /web
usage-apikey = /apikey [create | list | revoke 前缀]
usage-forget = /forget [confirm]
usage-grant = /grant 用户 数量 [原因]
usage-deduct = /deduct 用户 数量 [原因]
usage-plan = /plan 用户 套餐名|default [天数]
usage-ban = /ban 用户 [原因]
usage-unban = /unban 用户
usage-codes = /codes mint 数量 [credits=N] [plan=套餐] [days=N] [uses=N] [expires=7d] [note=...] | list | revoke ID
usage-usage = /usage 用户 | /usage top [天数]
usage-stats = /stats
help-cmd-start = 打个招呼
help-cmd-help = 显示本帮助
help-cmd-imagine = 画一张图（群聊中使用）
help-cmd-quota = 查看剩余额度及恢复时间
help-cmd-redeem = 兑换邀请码
help-cmd-settings = 你的默认选项
help-cmd-lang = 选择中文或英文
help-cmd-forget = 删除你保存的描述和图片
help-cmd-web = 一次性链接：以你的账号登录网页（试玩）
help-cmd-apikey = OpenAI 兼容 API 的密钥（在脚本中使用你的额度）
help-cmd-grant = 增加预付额度
help-cmd-deduct = 扣除预付额度
help-cmd-plan = 设置套餐，或恢复默认套餐
help-cmd-ban = 拒绝某用户的所有请求
help-cmd-unban = 解除封禁
help-cmd-codes = 生成、列出或作废兑换码
help-cmd-usage = 某用户的用量，或用量排行
help-cmd-stats = 今日花费与每日上限

## 消息的问题

problem-unknown-command = 我不认识 /{ $command }。可以试试：{ $commands }
problem-empty-prompt = 请描述你想看到的画面，例如“雪地里的一只红狐狸 --ar 3:2”。
problem-not-admin = 只有 Easel 的管理员可以使用这个命令。
problem-usage-missing = /{ $command }：缺少 { $arg }。用法：{ $usage }
problem-usage-bad = /{ $command }：“{ $given }”不是有效的 { $arg }。用法：{ $usage }
problem-usage-extra = /{ $command }：多余的参数“{ $given }”。用法：{ $usage }
problem-usage-no-reply = /{ $command }：{ $arg } 写 reply 表示你所回复消息的作者，但这条消息没有回复任何消息。用法：{ $usage }
problem-flag-unknown = 未知选项 { $flag }。可用选项：{ $flags }
problem-flag-missing = { $flag } 需要一个值：{ $allowed }。
problem-flag-bad = “{ $value }”不是 { $flag } 的有效值：请用 { $allowed }。

## 小命令

settings-show = 你的默认选项：{ $options }
settings-saved = 已保存。你的默认选项：{ $options }
settings-hint = 修改示例：/settings ar 16:9 q high n 2，或 /settings reset。描述中的选项优先于默认选项。
lang-set = 好的，之后我会用简体中文回复。
forget-ask = 这会删除你保存的描述和图片（额度用量记录会保留）。确认请发送 /forget confirm。
forget-done = 完成：你保存的描述和图片已删除。
ask-change = 要改什么？请回复这条消息告诉我。

## 进度、按钮、失败

progress-queued = 排队中，第 { $position } 位（{ $elapsed }）
progress-running = 正在绘制… { $elapsed }
progress-cancelled = 已取消，未扣额度。
button-again = 再来一次
button-vary = 变体
button-edit = 修改
button-original = 原图
button-cancel = 取消
error-internal = 我们这边出了点问题（请求 { $id }）。未扣额度，请重试。
error-unavailable = Easel 暂时不可用。未扣额度，请稍后再试。
error-busy = Easel 正忙于处理其他人的大图。未扣额度，请稍后重新发送。

## 任务失败与结果（失败不扣额度）

failure-busy = 图像服务正忙。未扣额度，请{ $when }再试。
failure-busy-later = 图像服务正忙。未扣额度，请一分钟后再试。
failure-unavailable = 图像服务暂不可用，已通知管理员。未扣额度。
failure-blocked = 安全系统拒绝了这个请求（{ $reason }）。未扣额度，请修改提示词或图片。
failure-rejected = 图像服务拒绝了这个请求（{ $reason }）。未扣额度，请修改选项或图片。
failure-failed = 没有生成图片。未扣额度，请重试。
failure-timed-out = 生成超时。未扣额度，请重试。
failure-too-many-queued = 你已有 { $limit } 个请求在排队。未扣额度，请等其中一个完成后再发。
failure-shutting-down = Easel 正在重启。未扣额度，请一分钟后再试。
failure-model-unavailable = 本机器人使用的图像模型暂不可用，已通知管理员。未扣额度。
failure-reservation-lost = 由于无法保持本次的额度预留，任务已停止，未交付图片。未扣额度，请重试。
input-bad = 第 { $index } 张图片无法使用：{ $reason }。未扣额度，请发送 PNG、JPEG 或 WebP 图片。
input-too-large = 第 { $index } 张图片超过 { $mb } MB。未扣额度，请发送更小的图片。
input-expired = 那张图片已不再保存（结果只保留一段时间）。未扣额度，请重新发送图片。
original-expired = 原图已过期（结果只保留一段时间）。
result-unknown = 我已找不到这个结果。请重新发送提示词。
cancel-too-late = 来不及取消了：图片已经在绘制中。
admin-only-own = 这个按钮属于别人的请求。
image-empty = 文件是空的
image-too-many-bytes = 文件太大
image-not-an-image = 这不是图片
image-unsupported-format = 不支持这种格式
image-too-large = 像素太多
image-truncated = 文件似乎不完整
image-corrupt = 图片已损坏
image-mask-without-alpha = 蒙版没有透明区域
image-internal = 无法处理

## Discord (modals, context menu, notes under results)

change-label = 要改什么？
input-unreadable = 无法读取该消息中的图片。未扣除任何额度，请改用 /edit 上传图片。
result-preview-note = 原图超过此聊天允许的大小，这里显示的是预览；在允许的地方，"原图"按钮会发送文件。
mask-bad = 蒙版无法使用：{ $reason }。未扣额度，请发送同一张图片的 PNG，并把要修改的部分设为透明。

## easel try（运维者的终端）

progress-retrying = 图像服务繁忙，正在重试（第 { $attempt } 次）…
progress-partial = 图片 { $image } 的预览已到…
try-saved = 已保存 { $path }（{ $bytes } 字节，服务商的原始文件）
try-quota = 剩余额度：{ $quota }
try-operator-access = 注意：access.mode 为 "{ $mode }"；easel try 会让 { $user } 使用默认套餐 "{ $plan }"，除非它已有自己的套餐（封禁和所有限制仍然有效）。

# /apikey: keys of the OpenAI-compatible API
apikey-created = 你的新 API 密钥（只显示这一次，请妥善保管）：
    { $key }
    在任意 OpenAI SDK 中作为 api_key 使用，并把 base_url 设为本服务的 /v1 地址。请求消耗你的额度。撤销：/apikey revoke { $prefix }
apikey-none = 你还没有 API 密钥。用 /apikey create 创建一个。
apikey-list = 你的 API 密钥：
apikey-item = { $prefix }… 创建于 { $date }
apikey-revoked = 密钥 { $prefix }… 已撤销，不能再使用。
apikey-unknown = 你没有密钥 { $prefix }…；/apikey 列出你的密钥。
apikey-bad-prefix = “{ $given }” 不是密钥前缀；前缀形如 easel-sk-AbCd1234（见 /apikey）。

# 网页（bot/src/web）：框架、登录、登录链接、拒绝
web-skip = 跳到正文
web-nav-label = 主导航
web-nav-overview = 概览
web-nav-users = 用户
web-nav-codes = 兑换码
web-nav-plans = 套餐
web-nav-audit = 审计
web-nav-queue = 队列
web-nav-play = 试玩
web-signout = 退出登录
web-lang-label = 语言
web-lang-apply = 应用
web-signin-title = 登录
web-signin-token = 管理员令牌
web-signin-submit = 登录
web-signin-wrong = 这不是管理员令牌。请检查 http.admin_token（或 EASEL_ADMIN_TOKEN）后重试。
web-signin-disabled = 管理员登录已关闭：未设置管理员令牌（http.admin_token）。
web-signin-chat-hint = 不是管理员？在 Telegram 或 Discord 里给机器人发送 /web，即可获得登录你自己账号的链接。
web-link-title = 登录 Easel
web-link-intro = 此链接会用你的聊天账号登录：额度和历史与聊天中相同。链接只能使用一次。
web-link-continue = 继续
web-link-gone-title = 此链接已失效
web-link-gone = 此登录链接已被使用或已过期。给机器人发送 /web 获取新链接。
web-signed-in-as = 已登录：{ $user }
web-overview-title = 概览
web-play-title = 试玩
web-err-title = 无法完成
web-err-home = 返回首页
web-err-signin = 请先登录。
web-err-admin-only = 此页面仅限管理员。
web-err-csrf = 此表单已过期，或并非由本站发出。请刷新页面后重试。
web-err-cross-site = 只能在 Easel 自己的页面上进行更改。
web-err-bad-form = 表单不完整。请刷新页面后重试。
web-err-too-many = 登录尝试过多。请在 { $seconds } 秒后重试。
web-err-unavailable = Easel 暂时无法连接存储。请稍后重试。

## Web dashboard (admins)

web-dash-refused = 未完成：
web-dash-no-runner = 此进程不运行任务，因此没有队列和后端数据。
web-dash-unavailable = Easel 暂时无法连接存储，请稍后再试。
web-dash-spend-today = 今日花费（UTC）
web-dash-spend-of-cap = { $spent } / { $cap }
web-dash-no-cap = 未设置每日花费上限（spend.daily_cap_micros）。
web-dash-queue-depth = 队列
web-dash-queue-counts = { $waiting } 个等待，{ $running } 个运行中
web-dash-last-days = 最近 { $days } 天
web-dash-chart-images = 每日交付的图片
web-dash-chart-cost = 每日花费
web-dash-chart-credits = 每日扣除的额度
web-dash-errors = 启动以来的上游错误
web-dash-errors-none = 此进程启动以来没有上游错误。
web-dash-backend = 后端
web-dash-error-kind = 类型
web-dash-count = 数量
web-dash-find-label = 用户
web-dash-find-hint = 用户键（tg:123456、dc:123456）或机器人见过的 @用户名。
web-dash-find = 查找
web-dash-no-such-user = 未找到用户。请使用 tg:<id> 或 dc:<id>，或机器人见过的 @用户名。
web-dash-credits = 额度
web-dash-amount = 数量
web-dash-reason = 原因
web-dash-grant = 增加
web-dash-deduct = 扣除
web-dash-plan = 套餐
web-dash-default-plan = 默认套餐
web-dash-no-plan = 无套餐
web-dash-days = 天数（0：不过期）
web-dash-set-plan = 设置套餐
web-dash-ban = 封禁
web-dash-unban = 解除封禁
web-dash-recent = 最近的请求
web-dash-recent-none = 还没有请求。
web-dash-when = 时间
web-dash-images = 图片
web-dash-cost = 花费
web-dash-outcome = 结果
web-dash-done-credits = 额度已更改。
web-dash-done-plan = 套餐已设置。
web-dash-done-ban = 用户已封禁。
web-dash-done-unban = 已解除封禁。
web-dash-done-revoked = 兑换码已作废，无法再兑换。
web-dash-done-cancelled = 任务已取消并全额退还。
web-dash-done-started = 该任务已开始运行，会运行到结束。
web-dash-done-gone = 无需操作：它已不存在。
web-dash-mint = 生成兑换码
web-dash-max-uses = 每个码可用人数
web-dash-redeem-days = 可兑换天数（0：不限）
web-dash-note = 备注
web-dash-minted = 新兑换码
web-dash-minted-once = 请立即复制：它们只显示这一次。
web-dash-copy = 复制
web-dash-copy-all = 全部复制
web-dash-code-list = 兑换码
web-dash-codes-none = 还没有兑换码。
web-dash-csv = 下载 CSV
web-dash-grants = 内容
web-dash-uses = 已用
web-dash-created = 创建时间
web-dash-revoke = 作废
web-dash-revoked = 已作废
web-dash-plans-hint = 套餐来自配置文件，重新加载配置即可更改。用量统计今天（UTC）被扣额度的用户。
web-dash-plan-today = 今天：{ $users } 位用户，{ $credits } 额度
web-dash-plan-window = 每 { $period } { $limit } 额度
web-dash-plan-limits = 每次最多 { $n } 张图，同时 { $inflight } 个，优先级 { $priority }
web-dash-plan-edit = 可以编辑图片
web-dash-plan-no-edit = 不能编辑图片
web-dash-audit-none = 还没有管理员操作。
web-dash-actor = 操作者
web-dash-user = 用户
web-dash-action = 操作
web-dash-detail = 详情
web-dash-refresh = 刷新
web-dash-waiting = 等待中
web-dash-running = 运行中
web-dash-queue-empty = 无。
web-dash-since = 开始时间
web-dash-cancel = 取消
## Web playground (/play)

web-play-prompt = 想让 Easel 画什么？
web-play-placeholder = 雪地里的一只红狐狸 --ar 3:2
web-play-photos = 要编辑的图片（拖到这里或选择文件）
web-play-draw = 开始绘制
web-play-refining = 正在修改选中的结果：请描述要改动的地方。
web-play-unrefine = 改为重新开始
web-play-refine = 修改
web-play-history = 你的作品
web-play-empty = 还没有作品：你在绘图台和聊天中的结果都会显示在这里。
web-play-chat-only = 绘图台只负责绘图，命令请在与机器人的聊天中使用。
web-play-failed-request = 请求未能送达 Easel。未扣除任何额度，请重试。
# /web：网页的一次性登录链接（发送时不显示链接预览）
web-chat-link = 你的网页登录链接（只能用一次，{ $expires } 前有效；请勿转发，它会以你的身份登录）：
    { $url }
web-chat-off = 此处未开通网页（运营者未设置 http.public_url）。
