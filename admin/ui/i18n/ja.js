// 管理コンソールの日本語の文言。i18n/en.js と同じキーを持ちます
// （テストで一致を確認しています）。{name} はコンソールが埋めます。

export default {
    'product': 'ngx_kot',
    'console': '管理コンソール',
    'skip': '本文へ移動',
    'lang.ja': '日本語',
    'lang.en': 'English',
    'header.lang_label': '表示言語: 日本語 / English',
    'header.tenant': '企業ID: {tenant}',
    'header.logout': 'ログアウト',

    'nav.label': 'メニュー',
    'nav.menu': 'メニュー',
    'nav.system': 'システム管理',
    'nav.tenant': '企業 {tenant}',
    'nav.tenants': '企業',
    'nav.users': 'ユーザー',
    'nav.sessions': 'セッション',
    'nav.networks': '接続元ネットワーク',
    'nav.policy': 'パスワードポリシー',
    'nav.support': 'サポートアクセス',
    'nav.events': 'イベント履歴',

    'banner.support': 'サポートアクセス中: 企業 {tenant} の許可により、'
        + 'この企業のデータを表示しています（{expires} まで）。'
        + 'すべての操作は記録されます。',
    'banner.no_grant': '企業 {tenant} を表示しています。この企業の管理者が'
        + 'サポートアクセスを許可している間だけ、データを表示できます。',

    'common.loading': '読み込み中…',
    'common.working': '処理中…',
    'common.save': '保存する',
    'common.cancel': 'キャンセル',
    'common.retry': '再試行',
    'common.dismiss': 'このメッセージを閉じる',
    'common.none': '—',
    'common.copy': 'コピー',
    'common.copied': 'コピーしました。',
    'common.copy_manually': 'パスワードを選択しました。Ctrl+C（Mac では '
        + '⌘C）でコピーしてください。',
    'common.back_home': '最初の画面へ戻る',

    'role.user': '一般ユーザー',
    'role.admin': '管理者',
    'role.user.long': '一般ユーザー（業務アプリを利用できます）',
    'role.admin.long': '管理者（この管理コンソールを利用できます）',

    'users.title': 'ユーザー',
    'users.heading': 'ユーザー {user}',
    'users.add': 'ユーザーを追加',
    'users.search': '名前またはロールで検索',
    'users.filter': '表示',
    'users.filter.all': 'すべてのユーザー',
    'users.filter.locked': 'ロック中',
    'users.filter.disabled': '無効',
    'users.filter.inactive': '休眠中',
    'users.filter.must_change': 'パスワード変更待ち',
    'users.filter.admins': '管理者',
    'users.filter.no_mfa': '2段階認証が未設定',
    'users.count': '{total} 人中 {shown} 人を表示',
    'users.none': 'まだユーザーがいません。最初のユーザーを追加してください。',
    'users.none_match': '検索条件に一致するユーザーはいません。',
    'users.col.name': 'ユーザー名',
    'users.col.roles': 'ロール',
    'users.col.state': '状態',
    'users.col.last_login': '最終ログイン',
    'users.col.created': '作成日時',
    'users.col.failures': 'ログイン失敗回数',
    'users.col.locked_until': 'ロック解除予定',
    'users.col.password_set': 'パスワード設定日時',
    'users.col.actions': '操作',
    'users.col.mfa': '2段階認証',
    'users.state.active': '有効',
    'users.state.disabled': '無効',
    'users.state.inactive': '休眠中',
    'users.state.locked': 'ロック中',
    'users.state.must_change': 'パスワード変更待ち',
    'users.locked_forever': '管理者が解除するまで',
    'users.manage': '管理',
    'users.manage_label': '{user} を管理',
    'users.unlock': 'ロック解除',
    'users.unlock_label': '{user} のロックを解除',
    'users.unlock_hint': 'ログインの失敗が続いたため、このアカウントはロック'
        + 'されています。解除すると再びログインできるようになり、失敗の記録も'
        + '消去されます。',
    'users.unlocked': '{user} のロックを解除しました。再びログインできます。',
    'users.back': 'ユーザー一覧へ戻る',
    'users.summary': '概要',
    'users.account': 'アカウント',
    'users.disable': '無効にする',
    'users.enable': '有効にする',
    'users.disable_hint': '無効にしたユーザーはログインできなくなり、すべての'
        + 'セッションがただちに終了します。後で再び有効にできます。',
    'users.enable_hint': 'このアカウントは無効です。有効にすると、今の'
        + 'パスワードで再びログインできるようになります。',
    'users.enable_label': '{user} を有効にする',
    'users.inactive_hint': 'このアカウントはパスワードポリシーで定めた期間を'
        + '超えて使われていないため、ログインできません。有効にすると、今の'
        + 'パスワードで再びログインできるようになります。',
    'users.self_hint': 'ご自身のアカウントは無効にできません。',
    'users.support_disable_hint': 'このユーザーは企業の管理者のため、'
        + 'サポートアクセスでは無効にできません。この企業の管理者に'
        + '依頼してください。',
    'users.support_delete_hint': 'このユーザーは企業の管理者のため、'
        + 'サポートアクセスでは削除できません。この企業の管理者に'
        + '依頼してください。',
    'users.support_admin_role': 'サポートアクセスでは管理者の役割を外せ'
        + 'ません。外せるのはこの企業の管理者だけです。',
    'users.changed_meanwhile': 'この画面を表示した後に、別の管理者が '
        + '{user} を変更したため、何も変更しませんでした。画面には現在の '
        + '{user} を表示しています。内容を確認し、必要であればもう一度'
        + '変更してください。',
    'users.disable_title': '{user} を無効にしますか？',
    'users.disable_body': 'このユーザーはすべての端末からただちにログアウト'
        + 'され、再び有効にするまでログインできません。',
    'users.disabled': '{user} を無効にし、ログアウトさせました。',
    'users.enabled': '{user} を有効にしました。再びログインできます。',
    'users.reset': 'パスワードをリセット',
    'users.reset_hint': '新しい仮パスワードを発行します。ユーザーは次回の'
        + 'ログイン時に自分のパスワードを設定します。',
    'users.reset_title': '{user} のパスワードをリセットしますか？',
    'users.reset_body': '現在のパスワードは使えなくなり、すべての端末から'
        + 'ログアウトされます。本人に伝えるための仮パスワードが一度だけ表示'
        + 'されます。',
    'users.reset_done': '{user} のパスワードをリセットしました。',
    'users.temp_label': '仮パスワード（この画面でのみ表示されます）:',
    'users.temp_hint': '安全な方法で本人に伝えてください。再表示はできません。'
        + '初回ログイン時に変更が必要です。',
    'users.mfa.on': '設定済み',
    'users.mfa.off': '未設定',
    'users.mfa_reset': '2段階認証をリセット',
    'users.mfa_reset_hint': 'スマートフォンの紛失や機種変更のときに使います。'
        + '認証アプリの登録とリカバリーコードを削除し、すべての端末から'
        + 'ログアウトさせます。',
    'users.mfa_reset_title': '{user} の2段階認証をリセットしますか？',
    'users.mfa_reset_body': 'このユーザーはすべての端末からただちに'
        + 'ログアウトされ、今の確認コードは使えなくなります。次回はパスワード'
        + 'だけでログインし、企業が2段階認証を必須にしている場合はその場で'
        + '設定し直します。元に戻すことはできません。',
    'users.mfa_reset_done': '{user} の2段階認証をリセットしました。',
    'users.support_mfa_hint': 'このユーザーは企業の管理者のため、'
        + 'サポートアクセスでは2段階認証をリセットできません。この企業の'
        + '管理者に依頼してください。',
    'users.self_credentials': 'ご自身のアカウントです。パスワードと'
        + '2段階認証は、現在のパスワードを確認するそれぞれのページで変更して'
        + 'ください。リセットは他のユーザーのためのものです。',
    'users.self_password': 'パスワードを変更',
    'users.self_mfa': '2段階認証の設定',
    'users.roles_hint': 'ロールによって、ユーザーが開ける画面が決まります。'
        + '変更はログイン中のセッションにもすぐに反映されます。',
    'users.roles_other': 'その他のロール',
    'users.roles_other_hint': '業務アプリで使うロールをスペース区切りで入力'
        + '（半角英小文字・数字・「_」「-」）。',
    'users.roles_saved': '{user} のロールを保存しました。',
    'users.delete_title': 'ユーザーの削除',
    'users.delete_hint': '削除するとセッションが終了し、アカウントが消去され'
        + 'ます。このユーザー名は、別の人に対しても二度と使えません。',
    'users.self_delete': 'ご自身のアカウントです。削除は別の管理者に依頼して'
        + 'ください。',
    'users.delete': '削除する',
    'users.delete_confirm_title': '{user} を削除しますか？',
    'users.delete_body': 'アカウントは消去され、すべての端末からただちに'
        + 'ログアウトされます。元に戻すことはできません。',
    'users.delete_never': 'ID「{user}」は二度と使えなくなります。この人にも、'
        + 'ほかの人にも再発行できません。',
    'users.delete_ack': '「{user}」が二度と使えなくなることを理解しました。',
    'users.deleted': '{user} を削除しました。このIDが再び発行されることは'
        + 'ありません。',
    'users.add_intro': '追加したユーザーには仮パスワードが発行され、追加後に'
        + '一度だけ表示されます。本人は初回ログイン時に自分のパスワードを設定'
        + 'します。',
    'users.name_hint': '半角英小文字・数字と . _ @ + - で64文字まで（先頭に'
        + ' . @ - は使えません）。大文字は小文字になります。メールアドレスも'
        + '使えます。',
    'users.name_required': 'ユーザー名を入力してください。',
    'users.password': '仮パスワード',
    'users.password_auto': '自動で生成する（推奨）',
    'users.password_manual': '自分で指定する',
    'users.password_hint': 'パスワードポリシーを満たす必要があります。'
        + '初回ログイン時の変更は必要です。',
    'users.given_hint': '指定したパスワードが仮パスワードです。安全な方法で'
        + '本人に伝えてください。初回ログイン時に変更が必要です。',
    'users.add_button': '追加する',
    'users.added': 'ユーザー {user} を追加しました。',
    'users.add_another': '続けて追加',

    'sessions.title': 'セッション',
    'sessions.intro': '現在ログインしているユーザーと、その接続元・最終操作'
        + '日時です。セッションを終了すると、そのブラウザはただちにログアウト'
        + 'されます。',
    'sessions.filter': 'ユーザーで絞り込み',
    'sessions.count': '{n} 件のセッション',
    'sessions.count.one': '1 件のセッション',
    'sessions.none': '現在ログインしているユーザーはいません。',
    'sessions.none_match': '一致するユーザーのセッションはありません。',
    'sessions.col.user': 'ユーザー',
    'sessions.col.ip': '接続元',
    'sessions.col.created': 'ログイン日時',
    'sessions.col.last_active': '最終操作',
    'sessions.col.expires': '有効期限',
    'sessions.col.actions': '操作',
    'sessions.you': 'あなた',
    'sessions.end': '終了',
    'sessions.end_label': '{ip} からの {user} のセッションを終了',
    'sessions.end_title': '{user} のこのセッションを終了しますか？',
    'sessions.end_body': '{ip} の {user} のブラウザはただちにログアウト'
        + 'されます。保存していない作業は失われることがあります。',
    'sessions.this_browser': 'このブラウザ',
    'sessions.end_self_label': 'このブラウザのあなたのセッションを終了',
    'sessions.end_self_body': 'これは現在お使いのこのブラウザのセッションです。'
        + '終了すると、ただちにこの管理コンソールからログアウトされます。'
        + '続けるには、もう一度ログインしてください。',
    'sessions.end_all_self': '現在お使いのこのブラウザのセッションも含まれます。'
        + 'ただちにこの管理コンソールからログアウトされます。',
    'sessions.ended': '{user} のセッションを終了しました。',
    'sessions.end_all': 'すべてのセッションを終了',
    'sessions.end_all_of': '{user} のすべてのセッションを終了',
    'sessions.end_all_title': '{user} のすべてのセッションを終了しますか？',
    'sessions.end_all_body': 'すべての端末からただちにログアウトされ、再度の'
        + 'ログインが必要になります。パスワードは変わりません。',
    'sessions.ended_all': '{user} のすべてのセッションを終了しました。',

    'networks.title': '接続元ネットワーク',
    'networks.intro': '従業員が利用できるネットワークを制限します。1行に1つ、'
        + 'アドレスまたは範囲（203.0.113.0/24、2001:db8::/32 など）を入力'
        + 'します。リストが空の場合は制限しません。',
    'networks.your_ip': '現在のあなたの接続元:',
    'networks.support_readonly': 'サポートアクセスでは、これらのリストを'
        + '表示できますが変更はできません。リストは、この企業の管理者が'
        + 'どこからこのコンソールを使えるかを決めるためです。変更はこの'
        + '企業の管理者に依頼してください。',
    'networks.your_ip_unknown': '不明',
    'networks.label': 'ネットワーク（1行に1つ）',
    'networks.hint': '# で始まる行はメモとして扱われ、保存されません。',
    'networks.saved_count': '保存済み: {n} 件のネットワーク。',
    'networks.saved_count.one': '保存済み: 1 件のネットワーク。',
    'networks.empty': '保存済みのリストは空です（すべてのネットワークから'
        + '利用できます）。',
    'networks.bad_line': '{line}行目: {text}',
    'networks.more_bad': '「!」の付いたほかの {n} 行も正しくありません。',
    'networks.more_bad.one': '「!」の付いたほかの 1 行も正しくありません。',
    'networks.invalid': '「{network}」はネットワークとして正しくありません。'
        + '{reason}。',
    'cidr.empty': '空です',
    'cidr.too_long': 'アドレスとしては長すぎます',
    'cidr.space': '空白または制御文字が含まれています',
    'cidr.zone': 'IPv6 のゾーン（%...）は指定できません',
    'cidr.bad_character': 'アドレスに使えない文字が含まれています'
        + '（使えるのは数字、a〜f、「.」「:」と「/」1つだけです）',
    'cidr.no_address': '「/」の前にアドレスがありません',
    'cidr.no_prefix': '「/」の後にプレフィックス長がありません',
    'cidr.bad_prefix': 'プレフィックス長が数値ではありません',
    'cidr.prefix_leading_zero': 'プレフィックス長が 0 で始まっています',
    'cidr.leading_zero': 'IPv4 アドレスの数値が 0 で始まっており、解釈が'
        + '曖昧です',
    'cidr.not_an_address': 'IPv4 アドレスでも IPv6 アドレスでもありません',
    'cidr.not_ipv4': 'IPv4 アドレスではありません（0〜255 の数値4つ: '
        + 'a.b.c.d）',
    'cidr.not_ipv6': 'IPv6 アドレスではありません',
    'cidr.prefix_range_ipv4': 'プレフィックス長が範囲外です（IPv4 は /0〜/32）',
    'cidr.prefix_range_ipv6': 'プレフィックス長が範囲外です（IPv6 は /0〜/128）',
    'cidr.host_bits_set': 'プレフィックスより後ろのビットが立っています',
    'cidr.host_bits_set.net': 'プレフィックスより後ろのビットが立っています'
        + '（{net} のことですか？）',
    'networks.access.title': 'アクセス許可リスト（全員）',
    'networks.access.about': 'ユーザーは、ここに登録したネットワークからのみ'
        + 'ログインし、業務アプリを利用できます。',
    'networks.access.save': 'アクセス許可リストを保存',
    'networks.access.saved': 'アクセス許可リストを保存しました。次の'
        + 'リクエストから適用されます。',
    'networks.access.lockout': 'このリストでは、あなたの現在の接続元'
        + '（{ip}）が許可されなくなります。次の操作の時点で、この管理コンソール'
        + 'を含むすべてが利用できなくなります。',
    'networks.admin.title': '管理用許可リスト（管理者）',
    'networks.admin.about': 'この管理コンソールは、ここに登録したネットワーク'
        + 'からのみ利用できます。アクセス許可リストにも含まれている必要が'
        + 'あります。',
    'networks.admin.save': '管理用許可リストを保存',
    'networks.admin.saved': '管理用許可リストを保存しました。次のリクエスト'
        + 'から適用されます。',
    'networks.admin.lockout': 'このリストでは、あなたの現在の接続元'
        + '（{ip}）からこの管理コンソールを利用できなくなります。次の操作の'
        + '時点でアクセスを失います。',
    'networks.lockout_title': 'ご自身が締め出されます',
    'networks.lockout_recover': 'その場合、元に戻せるのはサーバー上の'
        + 'システム管理者だけです。',
    'networks.lockout_confirm_title': 'アクセスを失いますが、保存しますか？',
    'networks.lockout_ack': '{ip} が締め出されることを理解しました。',
    'networks.changed_title': '別の管理者が変更しました',
    'networks.changed_meanwhile': 'この画面を表示した後に、別の管理者がこの'
        + 'リストを変更したため、保存しませんでした。現在適用されている'
        + 'リストをここに表示しています。編集中の内容はエディターに残して'
        + 'います。両方を見比べ、編集中の内容でリストを置き換える場合は'
        + 'もう一度保存してください。',
    'networks.use_current': 'このリストをエディターに入れる',
    'networks.keep_editing': '編集に戻る',
    'networks.save_anyway': 'それでも保存する',

    'policy.title': 'パスワードポリシー',
    'policy.intro': 'ユーザーのパスワードとログインのルールです。各ルールは'
        + 'サーバーの基準より厳しくできますが、緩くはできません。',
    'policy.rules': 'ルール',
    'policy.floor': 'サーバーの基準: {value}',
    'policy.too_loose': 'サーバーの基準（{floor}）より緩い値は設定できません。',
    'policy.changed_title': '別の管理者が変更しました',
    'policy.changed_meanwhile': 'この画面を表示した後に、別の管理者が'
        + 'パスワードポリシーを変更したため、保存しませんでした。現在の'
        + '企業のルールをここに表示しています。入力した値はフォームに残して'
        + 'います。見比べて、入力した値でルールを置き換える場合はもう一度'
        + '保存してください。',
    'policy.changed_none': '現在、企業独自のルールはありません。サーバーの'
        + '基準が適用されます。',
    'policy.fix_first': 'サーバーの基準より緩いルールがあります。修正してから'
        + '保存してください。',
    'policy.saved': 'パスワードポリシーを保存しました。パスワードのルールは'
        + '今後設定されるパスワードに、2段階認証は今後のログインに適用'
        + 'されます。',
    'policy.refused.looser': '「{rule}」はサーバーの基準（{limit}）より緩くできません。'
        + '企業ごとに設定できるのは、より厳しいルールだけです。',
    'policy.refused.range': '「{rule}」は{min}から{limit}までの数で'
        + '指定してください。',
    'policy.refused.time': '「{rule}」には期間を指定してください。',
    'policy.refused.on_off': '「{rule}」はオンかオフを選んでください。',
    'policy.refused.required': '「{rule}」は必須にするかどうかを選んで'
        + 'ください。',
    'policy.refused.shorter': '「{rule}」は、パスワードの有効期間（{limit}）より短く'
        + 'してください。期限切れのパスワードを変更できなくなるためです。',
    'policy.on': 'オン',
    'policy.off': 'オフ',
    'policy.unit': '単位',
    'policy.unit.m': '分',
    'policy.unit.h': '時間',
    'policy.unit.d': '日',
    'policy.unit.m.n': '{n}分',
    'policy.unit.h.n': '{n}時間',
    'policy.unit.d.n': '{n}日',
    'policy.unit.s.n': '{n}秒',
    'policy.min_length': '最小文字数',
    'policy.min_length.about': '文字数で数えます。',
    'policy.min_length.value': '{n}文字',
    'policy.classes': '文字の種類',
    'policy.classes.about': '英小文字・英大文字・数字・記号のうち、含める'
        + 'べき種類の数（0〜4）。',
    'policy.classes.value': '{n}種類',
    'policy.not_username': 'パスワードにユーザー名を含めない',
    'policy.not_username.about': 'bob の「bob2026」のようなパスワードを'
        + '拒否します。',
    'policy.history': '過去のパスワードの再利用禁止',
    'policy.history.about': '直近の何回分と同じパスワードを禁止するか'
        + '（0: 確認しない）。',
    'policy.history.value': '{n}回',
    'policy.min_age': '変更してから次に変更できるまで',
    'policy.min_age.about': '古いパスワードへの使い回しを防ぎます'
        + '（0: 制限なし）。',
    'policy.max_age': 'パスワードの有効期間',
    'policy.max_age.about': 'この期間を過ぎると、新しいパスワードの設定が'
        + '必要になります（0: 無期限）。',
    'policy.inactive_after': '未使用アカウントの停止',
    'policy.inactive_after.about': 'この期間ログインがないアカウントは、'
        + '有効にし直すまでログインできません（0: 停止しない）。',
    'policy.mfa': 'すべてのユーザーに2段階認証を必須にする',
    'policy.mfa.about': '次回のログインから、2段階認証を設定していない'
        + 'ユーザーは、設定を済ませるまでほかの操作ができません。設定を'
        + '解除することもできなくなります。あなたやほかの管理者にも適用'
        + 'されます。ログイン中のセッションはそのまま使えます。',
    'policy.mfa.required': '必須',
    'policy.mfa.optional': '任意',

    'support.title': 'サポートアクセス',
    'support.intro': '運営会社にサポートを依頼する際、数時間だけ、サポート'
        + '担当者が貴社のユーザー・セッション・ネットワーク・イベント履歴を'
        + '閲覧できるようにします。許可がない限り、担当者は貴社の中身を一切'
        + '見ることができません。',
    'support.status': '現在の状態',
    'support.on': '許可中',
    'support.off': '許可していません',
    'support.expires': 'サポート担当者は {expires} までアクセスできます。',
    'support.none': 'サポート担当者は貴社のデータにアクセスできません。',
    'support.by': '{created} に {by} が許可しました。',
    'support.new': 'サポートアクセスを許可する',
    'support.extend': 'アクセスの終了時刻を変更する',
    'support.grant_hint': '指定した時間が過ぎると自動的に終了します。いつでも'
        + '取り消せます。担当者の操作はすべてイベント履歴に記録されます。',
    'support.hours': '許可する時間',
    'support.hours_hint': '1〜72時間。',
    'support.hours_range': '1〜72の整数で時間を入力してください。',
    'support.grant': '許可する',
    'support.granted_until': '{expires} までサポートアクセスを許可しました。',
    'support.revoke': '許可を取り消す',
    'support.revoke_title': 'サポートアクセスを取り消しますか？',
    'support.revoke_body': 'サポート担当者はただちに貴社のデータにアクセス'
        + 'できなくなります。',
    'support.revoked': 'サポートアクセスを取り消しました。',
    'support.only_tenant': 'サポートアクセスの許可と取り消しは、その企業の'
        + '管理者だけが行えます。',

    'events.title': 'イベント履歴',
    'events.intro': '貴社で最近あったログイン、ロック、拒否、管理者による'
        + '変更です（新しい順）。注意が必要な行には印が付きます。',
    'events.filter_user': 'ユーザー',
    'events.filter_action': 'イベント',
    'events.all_actions': 'すべてのイベント',
    'events.show': '表示件数',
    'events.last_n': '直近 {n} 件',
    'events.only_alerts': '注意が必要なものだけ',
    'events.count': '{total} 件中 {shown} 件を表示',
    'events.none': 'まだイベントはありません。',
    'events.none_match': '条件に一致するイベントはありません。',
    'events.col.time': '日時',
    'events.col.action': 'イベント',
    'events.col.outcome': '結果',
    'events.col.user': 'ユーザー',
    'events.col.ip': '接続元',
    'events.col.details': '詳細',
    'events.attention': '要注意',
    'events.support': 'サポート担当者',
    'events.list': 'リスト: {list}',
    'events.actor_target': '{actor} → {target}',

    'outcome.success': '成功',
    'outcome.failure': '失敗',
    'outcome.unknown': '不明',

    'action.login': 'ログイン',
    'action.logout': 'ログアウト',
    'action.login_throttled': 'ログイン制限（試行が多すぎます）',
    'action.login_rejected_busy': 'ログイン拒否（混雑）',
    'action.account_locked': 'アカウントのロック',
    'action.account_unlocked': 'ロック解除',
    'action.account_enabled': 'アカウントの有効化',
    'action.account_disabled': 'アカウントの無効化',
    'action.session_expired': 'セッションの期限切れ',
    'action.session_revoked': '管理者によるセッション終了',
    'action.sessions_revoked': '管理者によるセッション終了',
    'action.password_change': 'パスワード変更',
    'action.password_rehash': 'パスワードハッシュの更新',
    'action.ip_denied': '許可されていないネットワーク',
    'action.role_denied': '権限のないページ',
    'action.identity_header_removed': '偽装ヘッダーの除去',
    'action.tenant_added': '企業の追加',
    'action.tenant_deleted': '企業の削除',
    'action.tenant_policy_changed': 'パスワードポリシーの変更',
    'action.user_added': 'ユーザーの追加',
    'action.user_deleted': 'ユーザーの削除',
    'action.user_roles_changed': 'ロールの変更',
    'action.user_password_set': 'パスワードのリセット',
    'action.allowlist_changed': 'ネットワークリストの変更',
    'action.throttle_cleared': 'ログイン制限の解除',
    'action.support_granted': 'サポートアクセスの許可',
    'action.support_revoked': 'サポートアクセスの取り消し',

    'reason.unknown_user': '存在しないユーザー',
    'reason.bad_password': 'パスワード誤り',
    'reason.locked': 'ロック中',
    'reason.disabled': '無効なアカウント',
    'reason.inactive': '長期間未使用',
    'reason.invalid_name': '不正な名前',
    'reason.throttled': 'この接続元からの試行が多すぎます',
    'reason.busy': '混雑',
    'reason.too_many_failures': 'ログイン失敗の繰り返し',
    'reason.ip_denied': '許可されていないネットワーク',
    'reason.missing_role': 'ロールなし',
    'reason.idle': '操作がない状態が続いたため',
    'reason.absolute': '最大利用時間に達したため',
    'reason.bad_current_password': '現在のパスワード誤り',
    'reason.policy': 'パスワードポリシー違反',
    'reason.min_age': '変更間隔が短すぎます',
    'reason.history': '最近使ったパスワード',
    'reason.password_changed': 'その間にパスワードが変更されました',
    'reason.store_failed': '保存できませんでした',
    'reason.csrf': 'フォームの期限切れ',
    'reason.duplicate_field': '読み取れないフォーム',
    'reason.malformed_form': '読み取れないフォーム',
    'reason.form_too_large': 'フォームが大きすぎます',
    'reason.forged_identity': '偽装された身元情報',

    'tenants.title': '企業',
    'tenants.intro': 'このサービスを利用している企業（テナント）です。'
        + '企業のユーザーや設定は、その企業の管理者がサポートアクセスを許可'
        + 'している間だけ表示できます。',
    'tenants.new': '企業を追加',
    'tenants.name': '企業ID',
    'tenants.name_hint': '半角英小文字・数字・「.」「-」で63文字まで'
        + '（先頭と末尾は英数字）。',
    'tenants.name_required': '企業IDを入力してください。',
    'tenants.admin': '最初の管理者',
    'tenants.admin_hint': '新しい企業のユーザー名です（半角英小文字・数字と'
        + ' . _ @ + - で64文字まで、先頭に . @ - は使えません）。仮パスワード'
        + 'が発行され、以後この企業を管理します。',
    'tenants.admin_required': '最初の管理者のユーザー名を入力してください。',
    'tenants.admin_temp': '{user} の仮パスワード（この画面でのみ表示'
        + 'されます）:',
    'tenants.admin_temp_hint': '安全な方法で本人に伝えてください。企業IDを'
        + '入力してログインし、初回ログイン時に変更が必要です。',
    'tenants.done': '完了',
    'tenants.add': '追加する',
    'tenants.added': '企業 {tenant} を追加しました。',
    'tenants.created': '作成日時',
    'tenants.users': 'ユーザー数',
    'tenants.actions': '操作',
    'tenants.open': '開く',
    'tenants.open_label': '{tenant} を開く',
    'tenants.none': 'まだ企業がありません。',
    'tenants.delete': '削除する',
    'tenants.delete_label': '{tenant} を削除',
    'tenants.delete_title': '企業 {tenant} を削除しますか？',
    'tenants.delete_body': '{n} 人のユーザーとそのセッション、ネットワーク、'
        + 'ポリシー、許可がすべてのサーバーからただちに消去されます。監査記録は'
        + '残ります。元に戻すことはできません。',
    'tenants.delete_never': 'ID「{tenant}」は二度と使えなくなります。',
    'tenants.delete_ack': '{tenant} とそのユーザーが完全に消去されることを'
        + '理解しました。',
    'tenants.deleted': '企業 {tenant} を削除しました。',

    'draft.restored': 'セッションが終了したため、変更は保存されていません。'
        + '入力していた内容をもう一度表示しています。確認してから、もう一度'
        + '保存してください。',
    'draft.lost': 'セッションが終了したため、直前の変更は保存されていません。'
        + 'もう一度やり直してください。',
    'draft.restored_password': 'セッションが終了したため、変更は保存されて'
        + 'いません。パスワード以外の入力内容をもう一度表示しています。'
        + 'パスワードをもう一度入力し、確認してから保存してください。',

    'err.network': 'サーバーに接続できません。ネットワークを確認して、もう'
        + '一度お試しください。',
    'err.timeout': 'サーバーから応答がありません（30秒）。しばらくしてから、'
        + 'もう一度お試しください。',
    'err.timeout_change': 'サーバーから応答がありません（30秒）。変更された'
        + 'かどうかは分かりません。もう一度行う前に、ページを再読み込みして'
        + '現在の状態を確認してください。',
    'err.unexpected': '画面でエラーが発生しました。ページを再読み込みして、'
        + 'もう一度お試しください。',
    'err.status': 'サーバーで処理できませんでした（エラー {status}）。'
        + 'もう一度行う前に、ページを再読み込みして現在の状態を確認して'
        + 'ください。',
    'err.forbidden': 'この操作を行う権限がありません。',
    'err.no_admin': 'この管理コンソールは管理者専用です。お使いのアカウント'
        + 'には管理者の権限がありません。必要な場合は管理者にお問い合わせ'
        + 'ください。',
    'err.csrf': 'ページの情報が古くなっています。再読み込みして、もう一度'
        + 'お試しください。',
    'err.tls_too_old': 'お使いのブラウザーの接続方式は安全性が不十分な'
        + 'ため、この管理コンソールでは受け付けていません。変更は行われて'
        + 'いません。最新のブラウザーをお使いいただくか、社内のIT部門に'
        + 'お問い合わせください。',
    'err.too_early': '接続の準備が整う前に送信されたため、サーバーが'
        + '受け付けませんでした。変更は行われていません。もう一度お試し'
        + 'ください。',
    'err.ip_not_allowed': 'ご利用の企業では、この管理コンソールを使える'
        + 'ネットワークを制限しており、現在接続しているネットワークは許可'
        + 'されていません。社内ネットワークや会社のVPNなど、許可された'
        + 'ネットワークから接続してもう一度お試しいただくか、社内のほかの'
        + '管理者に依頼して、「接続元ネットワーク」画面でこのネットワークを'
        + '追加してもらってください。',
    'err.not_found': '対象が見つかりません。ほかの人が削除した可能性が'
        + 'あります。再読み込みして最新の状態をご確認ください。',
    'err.not_found_here': '表示できるものがありません。企業またはユーザーが'
        + '存在しないか、管理対象ではありません。',
    'err.exists': 'すでに存在します。',
    'err.user_exists': 'このユーザー名はすでに使われています。',
    'err.username_retired': 'このユーザー名は削除されたユーザーのものです。'
        + 'IDを別の人に発行することはないため、再び使うことはできません。'
        + '別の名前を指定してください。',
    'err.tenant_exists': 'この企業IDはすでに使われています。',
    'err.tenant_retired': 'この企業IDは削除された企業のもので、再び使うこと'
        + 'はできません。',
    'err.password_policy': 'パスワードがパスワードポリシーを満たして'
        + 'いません（{detail}）。',
    'err.no_mfa': 'このユーザーには、リセットする2段階認証がありません。',
    'err.own_credentials': 'ご自身のパスワードや2段階認証は、ここでは'
        + 'リセットできません。現在のパスワードを確認するパスワード変更'
        + 'ページや2段階認証のページで変更してください。',
    'pwrule.sep': '、',
    'pwrule.min_length': '{n}文字以上にしてください',
    'pwrule.max_length': '{n}文字以内にしてください',
    'pwrule.characters': '制御文字は使えません',
    'pwrule.classes': '英小文字・英大文字・数字・記号のうち{n}種類以上を'
        + '使ってください',
    'pwrule.not_username': 'ユーザー名を含めることはできません',
    'pwrule.blocklist': 'よく使われるパスワードのため使えません',
    'err.cannot_disable_self': 'ご自身のアカウントは無効にできません。'
        + '別の管理者に依頼してください。',
    'err.cannot_demote_self': 'ご自身の管理者ロールは外せません。別の管理者'
        + 'に依頼してください。',
    'err.cannot_delete_self': 'ご自身のアカウントは削除できません。別の'
        + '管理者に依頼してください。',
    'err.last_admin': 'この企業で有効な最後の管理者です。管理者がいないと'
        + 'この企業を管理できなくなります。先に別のユーザーを管理者に'
        + 'してください。',
    'err.last_admin.others_cannot_log_in': 'この企業でログインできる最後の'
        + '管理者です。ほかの管理者は休眠中か、ロック解除されるまでロック中'
        + 'です。先に別の管理者を有効にするか、ロックを解除してください。',
    'err.cannot_delete_own_tenant': '運営会社自身の企業は削除できません。',
    'err.invalid_name': 'この名前は使えません。使える文字は入力欄の下の'
        + '説明をご覧ください。',
    'err.invalid_role': 'ロールの指定が正しくありません（{detail}）。',
    'err.invalid_role.none': 'ロールを1つ以上選んでください。',
    'err.invalid_role.name': '「{role}」はロールに使えません。ロールに使える'
        + 'のは、半角の英小文字（a-z）、数字、「_」「-」の32文字までです。'
        + '「その他のロール」を直してください。',
    'err.invalid_role.too_many': 'ロールが多すぎます。いくつか外してから、'
        + 'もう一度保存してください。',
    'err.invalid_hours': 'サポートアクセスは1〜72時間で指定してください。',
    'err.invalid_policy': 'ルールの値が正しくありません（{detail}）。',
    'err.policy_loosened': 'サーバーの基準より緩いルールは設定できません'
        + '（{detail}）。',
    'err.too_many_networks': '1つのリストに登録できるのは10,000件までです。',
    'err.busy': 'サーバーが混み合っています。変更は行われていません。'
        + 'しばらくしてから再度お試しください。',
    'err.support_not_permitted': 'サポートアクセスでは、アカウントの'
        + '作成やパスワードの設定はできません。この企業の管理者に'
        + '依頼してください。',
    'err.support_admin_protected': 'サポートアクセスでは、この企業の'
        + '管理者を無効化、降格、削除することや、2段階認証をリセットする'
        + 'ことはできません。この企業の管理者に依頼してください。',
    'err.precondition_failed': 'この画面を表示した後に変更されたため、'
        + '何も変更しませんでした。ページを再読み込みして現在の状態を'
        + '確認してください。',
    'err.support_grant_required': 'この企業はサポートアクセスを許可していない'
        + 'ため、データを表示できません。',
    'err.support_how': 'その企業の管理者が、この管理コンソールの'
        + '「サポートアクセス」画面で数時間だけ許可できます。',
    'err.invalid_cidr': 'ネットワークの書き方が正しくありません'
        + '（{detail}）。',
    'err.invalid_json': 'サーバーが受け付けませんでした（{detail}）。',
    'err.unknown_field': 'サーバーが受け付けませんでした（{detail}）。',
    'err.wrong_type': 'サーバーが受け付けませんでした（{detail}）。',
    'err.missing_field': 'サーバーが受け付けませんでした（{detail}）。',
    'err.body_too_large': '送信する内容が大きすぎます。',
    'err.http_502': '一時的にご利用いただけません。変更は行われていません。'
        + 'しばらくしてから再度お試しください。',
    'err.http_503': '一時的にご利用いただけません。変更は行われていません。'
        + 'しばらくしてから再度お試しください。',
    'err.unavailable': '一時的にご利用いただけません。変更は行われていません。'
        + 'しばらくしてから再度お試しください。',
    'err.session_store_unavailable': 'データストアに接続できません。変更は'
        + '行われていません。しばらくしてから再度お試しください。',
};
