
/*
 * ngx_kot: what users see: the portal pages in Japanese and English, and
 * the short answers of protected locations (redirect, 401 JSON, 503).
 *
 * Pages carry no script; the one stylesheet is inline and allowed by its
 * hash in Content-Security-Policy.  Every value from a request is escaped.
 *
 * A page's own part (its heading, messages and form) is collected first
 * and then wrapped in the look's layout (kot_portal_templates, or the
 * built-in one): the <head>, the product's name, the language switch and
 * the footer.  Every page sent through ngx_http_kot_html_send() gets it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"
#include "kot_b64.h"
#include "kot_text.h"
#include "kot_tmpl.h"


/* The look of the portal's pages: a layout, its values, the stylesheet. */

struct ngx_http_kot_look_s {
    kot_tmpl_t           *layout;
    kot_tmpl_vars_t       vars;         /* the values file's */
    const char          **names;        /* the layout may use */
    ngx_uint_t            nnames;
    ngx_str_t             style;        /* the <style> element's text */
    ngx_str_t             csp;          /* with the style's hash */
};


/* What a layout may use besides the values: the module's, per page. */

enum {
    NGX_HTTP_KOT_V_LANG = 0,
    NGX_HTTP_KOT_V_TITLE,
    NGX_HTTP_KOT_V_HEAD,
    NGX_HTTP_KOT_V_BODY,
    NGX_HTTP_KOT_V_LANG_SWITCH,
    NGX_HTTP_KOT_V_N
};

static const char  *ngx_http_kot_page_values[NGX_HTTP_KOT_V_N] = {
    "lang", "title", "head", "body", "lang_switch"
};


/* The values every look has, unless its values file says otherwise. */

static const char  *ngx_http_kot_look_defaults[][3] = {
    /* name, English, Japanese */
    { "product", "ngx_kot", "ngx_kot" },
    { "logo_url", "", "" },
    { "help",
      "Ask your company's administrator to reset it. For your security, "
      "it cannot be reset from this page.",
      "所属企業の管理者にリセットを依頼してください。セキュリティのため、"
      "この画面からは再設定できません。" },
    { "footer", "Sign-in protected by ngx_kot",
      "ngx_kot によるログイン保護" },
    { "terms", "Terms of use", "利用規約" },
    { "terms_url", "", "" },
    { "privacy", "Privacy", "プライバシー" },
    { "privacy_url", "", "" },
    { "support", "Support", "サポート" },
    { "support_url", "", "" },
};

#define NGX_HTTP_KOT_DEFAULTS_N                                              \
    (sizeof(ngx_http_kot_look_defaults)                                      \
     / sizeof(ngx_http_kot_look_defaults[0]))


static const char  ngx_http_kot_layout[] =
    "<!DOCTYPE html>\n<html lang=\"{{lang}}\">\n<head>\n{{head}}</head>\n"
    "<body>\n<header class=\"kot-top\">\n<span class=\"kot-brand\">"
    "{{#logo_url}}<img class=\"kot-logo\" src=\"{{logo_url}}\" alt=\"\">"
    "{{/logo_url}}{{product}}</span>\n{{lang_switch}}</header>\n"
    "<main>\n{{body}}</main>\n<footer class=\"kot-foot\">\n"
    "{{#terms_url}}<a href=\"{{terms_url}}\">{{terms}}</a>\n{{/terms_url}}"
    "{{#privacy_url}}<a href=\"{{privacy_url}}\">{{privacy}}</a>\n"
    "{{/privacy_url}}"
    "{{#support_url}}<a href=\"{{support_url}}\">{{support}}</a>\n"
    "{{/support_url}}"
    "<p>{{footer}}</p>\n</footer>\n</body>\n</html>\n";

/* a look's files, and the most each may hold */
#define NGX_HTTP_KOT_LOOK_MAX   (64 * 1024)
#include "kot_ua.h"


typedef struct {
    ngx_http_request_t   *r;
    ngx_array_t           parts;        /* of ngx_str_t */
    size_t                len;
    kot_lang_t            lang;
    ngx_uint_t            title;        /* ngx_http_kot_text_e */
    ngx_uint_t            failed;
    ngx_http_kot_page_t  *page;         /* its messages, for the fields */
    const char           *focus;        /* the field with the focus */
    ngx_str_t             return_to;    /* its form's */
} ngx_http_kot_html_t;


typedef enum {
    NGX_HTTP_KOT_T_LOGIN = 0,
    NGX_HTTP_KOT_T_TENANT,
    NGX_HTTP_KOT_T_USERNAME,
    NGX_HTTP_KOT_T_PASSWORD,
    NGX_HTTP_KOT_T_LOGOUT,
    NGX_HTTP_KOT_T_LOGOUT_ASK,
    NGX_HTTP_KOT_T_CHANGE,
    NGX_HTTP_KOT_T_CURRENT,
    NGX_HTTP_KOT_T_NEW,
    NGX_HTTP_KOT_T_CONFIRM,
    NGX_HTTP_KOT_T_CHANGE_BUTTON,
    NGX_HTTP_KOT_T_FORBIDDEN,
    NGX_HTTP_KOT_T_ERROR,
    NGX_HTTP_KOT_T_UNAVAILABLE,
    NGX_HTTP_KOT_T_UNAVAILABLE_TEXT,
    NGX_HTTP_KOT_T_BACK,
    NGX_HTTP_KOT_T_NOT_FOUND,
    NGX_HTTP_KOT_T_CODE_TITLE,
    NGX_HTTP_KOT_T_CODE_ASK,
    NGX_HTTP_KOT_T_CODE,
    NGX_HTTP_KOT_T_VERIFY,
    NGX_HTTP_KOT_T_MFA_TITLE,
    NGX_HTTP_KOT_T_MFA_ON,
    NGX_HTTP_KOT_T_MFA_LEFT,
    NGX_HTTP_KOT_T_MFA_SETUP,
    NGX_HTTP_KOT_T_MFA_REPLACE,
    NGX_HTTP_KOT_T_MFA_SCAN,
    NGX_HTTP_KOT_T_MFA_KEY,
    NGX_HTTP_KOT_T_MFA_OPEN_APP,
    NGX_HTTP_KOT_T_MFA_APP_CODE,
    NGX_HTTP_KOT_T_MFA_TURN_ON,
    NGX_HTTP_KOT_T_MFA_REMOVE,
    NGX_HTTP_KOT_T_MFA_REMOVE_BUTTON,
    NGX_HTTP_KOT_T_MFA_CODES_TITLE,
    NGX_HTTP_KOT_T_CONTINUE,
    NGX_HTTP_KOT_T_FORGOT,
    NGX_HTTP_KOT_T_ADDRESS,
    NGX_HTTP_KOT_T_RULES,
    NGX_HTTP_KOT_T_LANGUAGE,
    NGX_HTTP_KOT_T_TLS_TITLE,
    NGX_HTTP_KOT_T_TLS_TEXT,
    NGX_HTTP_KOT_T_SESSIONS_TITLE,
    NGX_HTTP_KOT_T_THIS_DEVICE,
    NGX_HTTP_KOT_T_IP_ADDRESS,
    NGX_HTTP_KOT_T_LOGGED_IN,
    NGX_HTTP_KOT_T_LAST_ACTIVE,
    NGX_HTTP_KOT_T_END_SESSION,
    NGX_HTTP_KOT_T_END_OTHERS,
    NGX_HTTP_KOT_T_WELCOME_TITLE,
    NGX_HTTP_KOT_T_LAST_LOGIN_AT,
    NGX_HTTP_KOT_T_LAST_LOGIN_FROM,
    NGX_HTTP_KOT_T_LAST_LOGIN_END,
    NGX_HTTP_KOT_T_FIRST_LOGIN,
    NGX_HTTP_KOT_T_BACK_TO_APP,
    NGX_HTTP_KOT_T_N
} ngx_http_kot_text_e;


/* [id][lang]: English, Japanese */

static const char  *ngx_http_kot_texts[NGX_HTTP_KOT_T_N][2] = {
    { "Log in", "ログイン" },
    { "Company ID", "企業ID" },
    { "Username", "ユーザー名" },
    { "Password", "パスワード" },
    { "Log out", "ログアウト" },
    { "Do you want to log out?", "ログアウトしますか？" },
    { "Change password", "パスワード変更" },
    { "Current password", "現在のパスワード" },
    { "New password", "新しいパスワード" },
    { "New password (again)", "新しいパスワード（確認）" },
    { "Change", "変更する" },
    { "Access denied", "アクセスできません" },
    { "The request could not be processed", "リクエストを処理できません" },
    { "Temporarily unavailable", "一時的にご利用いただけません" },
    { "The login service cannot reach its session store, so it cannot "
      "check who you are. Nothing has been changed. Please try again in a "
      "moment; if this continues, contact your administrator.",
      "ログインサービスがセッションストアに接続できないため、本人確認を"
      "行えません。変更は一切行われていません。しばらくしてから再度お試し"
      "ください。解消しない場合は管理者にお問い合わせください。" },
    { "Back to the login page", "ログイン画面へ戻る" },
    { "Page not found", "ページが見つかりません" },
    { "Enter your code", "確認コードの入力" },
    { "Enter the 6-digit code that your authenticator app shows, or one of "
      "your recovery codes.",
      "認証アプリに表示されている6桁のコード、またはリカバリーコードのいずれか"
      "を入力してください。" },
    { "Code", "コード" },
    { "Verify", "確認する" },
    { "Two-step login", "2段階認証" },
    { "Two-step login is on since ", "2段階認証は有効です。設定日: " },
    { "Recovery codes left: ", "残りのリカバリーコード: " },
    { "Set up two-step login", "2段階認証を設定する" },
    { "Replace your authenticator", "認証アプリを変更する" },
    { "Scan this QR code with an authenticator app, or type the key "
      "below into it. Then enter the 6-digit code that the app shows.",
      "認証アプリでこのQRコードを読み取るか、下のキーを入力してください。"
      "その後、アプリに表示される6桁のコードを入力してください。" },
    { "Key", "キー" },
    { "Open in an authenticator app on this device",
      "この端末の認証アプリで開く" },
    { "Code from the app", "アプリに表示されたコード" },
    { "Turn on", "有効にする" },
    { "Turn off two-step login", "2段階認証を無効にする" },
    { "Turn off", "無効にする" },
    { "Your recovery codes", "リカバリーコード" },
    { "Continue", "続ける" },
    { "Forgot your password?", "パスワードを忘れた場合" },
    { "Your address, to tell your administrator: ",
      "管理者にお伝えいただくお使いのアドレス: " },
    { "Your new password must:", "新しいパスワードの条件:" },
    { "Language", "言語" },
    { "Secure connection required", "安全な接続が必要です" },
    /* ngx_http_kot_page_tls(): the protocol used, then the floor */
    { "Your browser or device connected with %s, which this site no longer "
      "accepts because it is not secure enough: it needs %s or newer. "
      "Update your browser or operating system, or use another device; if "
      "that is not possible, contact your administrator.",
      "お使いのブラウザーまたは端末は%sで接続しています。この方式は安全性が"
      "不十分なため、このサイトでは受け付けていません。%s以降が必要です。"
      "ブラウザーやOSを更新するか、別の端末をお使いください。できない場合は"
      "管理者にお問い合わせください。" },
    { "Your sessions", "ログイン中の端末" },
    { "This device", "この端末" },
    { "Address: ", "IPアドレス: " },
    { "Logged in: ", "ログイン日時: " },
    { "Last activity: ", "最終操作: " },
    { "Log out that device", "その端末をログアウト" },
    { "Log out all other devices", "他のすべての端末をログアウト" },
    { "Welcome", "ようこそ" },
    /* the last login: at, time, from, address, end */
    { "Your last login was on ", "前回のログインは" },
    { " from ", "に" },
    { ".", "からでした。" },
    { "This is your first login.", "今回が初めてのログインです。" },
    { "Back to the application", "アプリケーションに戻る" },
};


/* How long ago a time was: by unit, "many" then "one", by language. */

typedef enum {
    NGX_HTTP_KOT_AGO_NOW = 0,
    NGX_HTTP_KOT_AGO_MINUTES,
    NGX_HTTP_KOT_AGO_HOURS,
    NGX_HTTP_KOT_AGO_DAYS
} ngx_http_kot_ago_e;

static const char  *ngx_http_kot_ago[][2][2] = {
    { { " (just now)", "（たった今）" },
      { " (just now)", "（たった今）" } },
    { { " (%ui minutes ago)", "（%ui分前）" },
      { " (%ui minute ago)", "（%ui分前）" } },
    { { " (%ui hours ago)", "（%ui時間前）" },
      { " (%ui hour ago)", "（%ui時間前）" } },
    { { " (%ui days ago)", "（%ui日前）" },
      { " (%ui day ago)", "（%ui日前）" } },
};


/* The password policy's rules, as the change form lists them. */

typedef enum {
    NGX_HTTP_KOT_R_MIN = 0,
    NGX_HTTP_KOT_R_MAX,
    NGX_HTTP_KOT_R_CLASSES,
    NGX_HTTP_KOT_R_USERNAME,
    NGX_HTTP_KOT_R_BLOCKLIST,
    NGX_HTTP_KOT_R_HISTORY,
    NGX_HTTP_KOT_R_CURRENT,
    NGX_HTTP_KOT_R_MAX_AGE,
    NGX_HTTP_KOT_R_N
} ngx_http_kot_rule_e;

static const char  *ngx_http_kot_rules[NGX_HTTP_KOT_R_N][2] = {
    { "have at least %ui characters", "%ui文字以上であること" },
    { "have at most %ui characters", "%ui文字以下であること" },
    { "mix at least %ui kinds of characters: lower case letters, upper "
      "case letters, digits and symbols",
      "英小文字・英大文字・数字・記号のうち%ui種類以上を含むこと" },
    { "not contain your username", "ユーザー名を含まないこと" },
    { "not be a commonly used password",
      "よく使われるパスワードではないこと" },
    { "differ from your last %ui passwords",
      "直近%ui回のパスワードと異なること" },
    { "differ from your current password",
      "現在のパスワードと異なること" },
    { "be changed again within %ui days, when it expires",
      "%ui日以内に再度変更すること（有効期限）" },
};


/* "%ui" in a message is replaced by the message's number */

static const char  *ngx_http_kot_msgs[NGX_HTTP_KOT_MSG_N][2] = {
    { "", "" },
    { "Login failed. Check what you entered and try again. Too many "
      "attempts may lock an account; contact your administrator.",
      "ログインできませんでした。入力内容を確認して、もう一度お試しください。"
      "試行を繰り返すとアカウントがロックされることがあります。その場合は"
      "管理者にお問い合わせください。" },
    { "You have logged out.", "ログアウトしました。" },
    { "Your session has expired. Please log in again.",
      "セッションの有効期限が切れました。もう一度ログインしてください。" },
    { "This form has expired or was not sent from this site. Please go "
      "back and try again.",
      "フォームの有効期限が切れたか、このサイト以外から送信されました。"
      "戻ってもう一度お試しください。" },
    { "You must change your password before you continue.",
      "続行する前にパスワードを変更してください。" },
    { "The new passwords do not match.",
      "新しいパスワードが一致しません。" },
    { "The current password is not correct.",
      "現在のパスワードが正しくありません。" },
    { "The new password must differ from the current one.",
      "新しいパスワードは現在のパスワードと異なるものにしてください。" },
    { "The new password is too short: use at least %ui characters.",
      "新しいパスワードが短すぎます。%ui文字以上にしてください。" },
    { "The new password is too long: use at most %ui characters.",
      "新しいパスワードが長すぎます。%ui文字以下にしてください。" },
    { "The new password contains characters that cannot be used, such as "
      "control characters.",
      "新しいパスワードに使用できない文字（制御文字など）が含まれています。" },
    { "The new password must mix at least %ui kinds of characters: lower "
      "case letters, upper case letters, digits and symbols.",
      "新しいパスワードには英小文字・英大文字・数字・記号のうち%ui種類以上を"
      "含めてください。" },
    { "The new password must not contain your username.",
      "新しいパスワードにユーザー名を含めることはできません。" },
    { "Your password was changed or your session ended meanwhile. Please "
      "log in again.",
      "その間にパスワードが変更されたか、セッションが終了しました。もう一度"
      "ログインしてください。" },
    { "Log in over HTTPS: this page does not accept passwords over an "
      "unencrypted connection.",
      "HTTPSでアクセスしてください。暗号化されていない接続ではパスワードを"
      "受け付けません。" },
    { "The login service is busy. Please try again in a moment.",
      "ログインサービスが混み合っています。"
      "しばらくしてから再度お試しください。" },
    { "The form could not be read. Please go back and try again.",
      "フォームを読み取れませんでした。戻ってもう一度お試しください。" },
    { "Too many login attempts from your network. Please try again in %ui "
      "seconds.",
      "お使いのネットワークからのログイン試行が多すぎます。%ui秒後に再度"
      "お試しください。" },
    { "The new password is too common: choose one that is harder to guess.",
      "新しいパスワードはよく使われるものです。推測されにくいものを選んで"
      "ください。" },
    { "The new password must not be one of your last %ui passwords.",
      "新しいパスワードには、直近%ui回のパスワードは使えません。" },
    { "You changed your password recently. You can change it again in %ui "
      "minutes.",
      "パスワードは最近変更されたばかりです。%ui分後に再度変更できます。" },
    { "Your password has expired. Please choose a new one.",
      "パスワードの有効期限が切れました。"
      "新しいパスワードを設定してください。" },
    { "Your company does not allow access from the network you are on. "
      "Connect from your company's network, or contact your administrator.",
      "ご利用の企業では、現在接続しているネットワークからのアクセスを許可して"
      "いません。社内ネットワークから接続するか、管理者にお問い合わせ"
      "ください。" },
    { "There is no page at this address.",
      "このアドレスのページはありません。" },
    { "Your account does not have permission to open this page. If you "
      "need it, contact your administrator.",
      "このページを開く権限がありません。必要な場合は管理者にお問い合わせ"
      "ください。" },
    { "Your login took too long or had too many tries. Please log in "
      "again.",
      "ログインの有効期限が切れたか、試行回数が上限に達しました。もう一度"
      "ログインしてください。" },
    { "Your company requires two-step login. Set it up to continue.",
      "ご利用の企業では2段階認証が必須です。続行するには設定してください。" },
    { "The code is not right. Check that the app shows the code of this "
      "account, that the time on your device is correct, and try again.",
      "コードが正しくありません。アプリでこのアカウントのコードを見ているか、"
      "端末の時刻が正しいかを確認して、もう一度お試しください。" },
    { "The QR code you scanned is no longer valid. Scan this new one.",
      "読み取ったQRコードは無効になりました。新しいQRコードを読み取って"
      "ください。" },
    { "Two-step login is off.", "2段階認証を無効にしました。" },
    { "Your company requires two-step login: it cannot be turned off.",
      "ご利用の企業では2段階認証が必須のため、無効にできません。" },
    { "Two-step login is on. Keep these recovery codes in a safe place: "
      "each logs you in once if you lose your phone. They are shown only "
      "now.",
      "2段階認証を有効にしました。リカバリーコードを安全な場所に保管して"
      "ください。スマートフォンを紛失したとき、各コードで1回ずつログイン"
      "できます。コードが表示されるのは今回だけです。" },
    { "Your session ended before you sent the form: what you submitted "
      "was not saved. Log in, then enter it again.",
      "フォームを送信する前にセッションが終了したため、送信した内容は"
      "保存されていません。ログインしてから、もう一度入力してください。" },
    { "You are already logged in on as many devices as your company allows. "
      "Log out on one of them, or wait until its session ends, then try "
      "again.",
      "ご利用の企業が許可する台数の端末ですでにログインしています。いずれかの"
      "端末でログアウトするか、そのセッションが終了してから、もう一度お試し"
      "ください。" },
    { "Sessions ended: %ui.", "%ui件のセッションを終了しました。" },
    { "No session was ended: it had already ended, or it is not one of "
      "yours.",
      "終了したセッションはありません。すでに終了しているか、あなたの"
      "セッションではありません。" },
    { "Failed logins to your account since then: %ui. If any of them was "
      "not you, change your password and tell your administrator.",
      "前回のログイン以降、"
      "あなたのアカウントへのログインが%ui回失敗しています。"
      "心当たりがない場合は、パスワードを変更して管理者に連絡してください。" },
    { "You were logged out on your other devices (sessions ended: %ui).",
      "他の端末からログアウトしました（終了したセッション：%ui件）。" },
    { "The login page had expired, or the form was not sent from this "
      "site. Please log in again. If this message comes back, allow "
      "cookies for this site in your browser: logging in needs them.",
      "ログイン画面の有効期限が切れたか、このサイト以外からフォームが送信"
      "されました。もう一度ログインしてください。このメッセージが繰り返し"
      "表示される場合は、ブラウザでこのサイトのCookieを許可してください"
      "（ログインに必要です）。" },
    { "You were logged out on this device because your account logged in "
      "on another one, and your company allows it on only so many devices "
      "at once. If that was not you, log in and change your password.",
      "別の端末でこのアカウントにログインがあったため、この端末では"
      "ログアウトしました（ご利用の企業が同時にログインできる端末の数を"
      "制限しています）。心当たりがない場合は、ログインしてパスワードを"
      "変更してください。" },
    { "You were logged out on this device from another of your devices. "
      "If that was not you, log in and change your password: whoever did "
      "it is logged in to your account.",
      "別の端末からこの端末をログアウトしました。心当たりがない場合は、"
      "ログインしてパスワードを変更してください。操作した人があなたの"
      "アカウントにログインしています。" },
    { "To let you log in here, your session on the device that logged in "
      "first was ended: your company allows only so many devices at once.",
      "ここでログインできるように、最初にログインした端末のセッションを終了"
      "しました（ご利用の企業が同時にログインできる端末の数を制限して"
      "います）。" },
};


/*
 * The colours are custom properties, so that a look's style.css can
 * change them in one rule: :root{--kot-accent:#0a7d5a}.
 */

static const char  ngx_http_kot_style[] =
    ":root{--kot-accent:#1f5fbf;--kot-bg:#f4f5f7;--kot-text:#1d2330;"
    "--kot-bar:#fff}"
    "body{font-family:system-ui,\"Hiragino Sans\",\"Noto Sans JP\","
    "sans-serif;background:var(--kot-bg);color:var(--kot-text);margin:0;"
    "display:flex;flex-direction:column;min-height:100vh}"
    ".kot-top{display:flex;flex-wrap:wrap;justify-content:space-between;"
    "align-items:center;gap:.5rem;padding:.7rem 1.2rem;"
    "background:var(--kot-bar);border-bottom:3px solid var(--kot-accent)}"
    ".kot-brand{display:flex;align-items:center;gap:.6rem;font-weight:600}"
    ".kot-logo{height:2rem;width:auto}"
    ".kot-lang{font-size:.9rem}"
    ".kot-lang a,.kot-lang span{margin-left:.8rem}"
    ".kot-lang span{font-weight:600}"
    "a{color:var(--kot-accent)}"
    "main{box-sizing:border-box;width:calc(100% - 1.5rem);max-width:26rem;"
    "margin:8vh auto 2rem;background:#fff;padding:2rem;"
    "border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12)}"
    "@media (max-width:30rem){main{margin-top:1rem;padding:1.2rem}}"
    ".kot-foot{margin-top:auto;padding:1rem;text-align:center;"
    "font-size:.8rem;color:#5b6372}"
    ".kot-foot a{margin:0 .6rem}"
    ".kot-foot p{margin:.5rem 0 0}"
    ".kot-rules{font-size:.85rem;margin:.4rem 0 0;color:#4a5262}"
    ".kot-rules ul{margin:.2rem 0 0;padding-left:1.2rem}"
    ".kot-help{font-size:.85rem;margin:1.4rem 0 0}"
    ".kot-address{font-weight:600}"
    "h1{font-size:1.4rem;margin:0 0 1.2rem}"
    "label{display:block;margin:.9rem 0 .3rem;font-size:.9rem}"
    "input{box-sizing:border-box;width:100%;padding:.55rem;font-size:1rem;"
    "border:1px solid #b8bfcc;border-radius:4px}"
    "button{margin-top:1.4rem;width:100%;padding:.65rem;font-size:1rem;"
    "border:0;border-radius:4px;background:var(--kot-accent);color:#fff;"
    "cursor:pointer}"
    ".msg{padding:.7rem;border-radius:4px;background:#fdecea;"
    "color:#8a1c12;font-size:.9rem}"
    ".info{background:#e8f1fd;color:#123e7a}"
    "h2{font-size:1.1rem;margin:1.8rem 0 .6rem}"
    ".kot-qr{display:block;margin:1rem auto;max-width:100%;height:auto}"
    "code,.codes{font-family:ui-monospace,monospace;font-size:1rem}"
    "code{word-break:break-all}"
    ".codes{columns:2;padding-left:1.4rem}"
    ".kot-sessions{list-style:none;padding:0;margin:0}"
    ".kot-session{border-top:1px solid #dde1e8;padding:.8rem 0}"
    ".kot-this{margin-left:.5rem;font-size:.8rem;padding:.1rem .4rem;"
    "border-radius:4px;background:#e8f1fd;color:#123e7a}"
    ".kot-logout{display:block;margin-top:.6rem}"
    ".kot-continue{display:block;margin-top:1.4rem;padding:.65rem;"
    "border-radius:4px;background:var(--kot-accent);color:#fff;"
    "text-align:center;text-decoration:none}";


static void ngx_http_kot_html_init(ngx_http_request_t *r,
    ngx_http_kot_html_t *h);
static void ngx_http_kot_html_add(ngx_http_kot_html_t *h, u_char *data,
    size_t len);
static void ngx_http_kot_html_raw(ngx_http_kot_html_t *h, const char *s);
static void ngx_http_kot_html_text(ngx_http_kot_html_t *h, ngx_str_t *s);
static void ngx_http_kot_html_say(ngx_http_kot_html_t *h,
    ngx_http_kot_text_e id);
static void ngx_http_kot_html_head(ngx_http_kot_html_t *h,
    ngx_http_kot_text_e title);
static void ngx_http_kot_html_value(ngx_http_kot_html_t *h,
    const char *name);
static void ngx_http_kot_html_msgs(ngx_http_kot_html_t *h,
    ngx_http_kot_page_t *p);
static void ngx_http_kot_html_form(ngx_http_kot_html_t *h,
    ngx_http_kot_page_t *p);
static void ngx_http_kot_html_input(ngx_http_kot_html_t *h,
    ngx_http_kot_text_e label, const char *name, const char *attrs,
    const char *help, ngx_str_t *value);
static void ngx_http_kot_html_field(ngx_http_kot_html_t *h,
    ngx_http_kot_text_e label, const char *id, const char *name,
    const char *attrs, const char *help, ngx_str_t *value);
static void ngx_http_kot_html_described(ngx_http_kot_html_t *h,
    const char *id, const char *help);
static ngx_uint_t ngx_http_kot_msg_is_info(ngx_http_kot_msg_t m);
static ngx_int_t ngx_http_kot_html_submit(ngx_http_kot_html_t *h,
    ngx_http_kot_text_e button, ngx_uint_t status);
static void ngx_http_kot_html_button(ngx_http_kot_html_t *h,
    ngx_http_kot_text_e button);
static void ngx_http_kot_html_end_button(ngx_http_kot_html_t *h,
    ngx_uint_t n);
static void ngx_http_kot_html_time(ngx_http_kot_html_t *h, uint64_t ms);
static void ngx_http_kot_html_ago(ngx_http_kot_html_t *h, uint64_t ms);
static void ngx_http_kot_html_hidden(ngx_http_kot_html_t *h,
    const char *name, const char *value);
static void ngx_http_kot_html_mfa_status(ngx_http_kot_html_t *h,
    ngx_http_kot_mfa_view_t *v);
static void ngx_http_kot_html_mfa_setup(ngx_http_kot_html_t *h,
    ngx_http_kot_page_t *p, ngx_http_kot_mfa_view_t *v);
static ngx_int_t ngx_http_kot_json_why(ngx_http_request_t *r,
    ngx_uint_t status, const char *error, const char *reason);
static ngx_int_t ngx_http_kot_html_send(ngx_http_kot_html_t *h,
    ngx_uint_t status);
static ngx_int_t ngx_http_kot_send(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, u_char *body, size_t len);
static ngx_int_t ngx_http_kot_retry_after(ngx_http_request_t *r,
    ngx_uint_t seconds);
static void ngx_http_kot_html_rules(ngx_http_kot_html_t *h,
    const kot_policy_t *policy);
static void ngx_http_kot_html_rule(ngx_http_kot_html_t *h,
    ngx_http_kot_rule_e rule, ngx_uint_t num);
static void ngx_http_kot_html_fmt(ngx_http_kot_html_t *h, const char *fmt,
    ngx_uint_t num);
static u_char *ngx_http_kot_html_join(ngx_http_kot_html_t *h);
static ngx_int_t ngx_http_kot_html_layout(ngx_http_kot_html_t *h,
    ngx_http_kot_look_t *look, ngx_str_t *out);
static u_char *ngx_http_kot_html_page_head(ngx_http_kot_html_t *h,
    ngx_http_kot_look_t *look, ngx_str_t *product, size_t *len);
static u_char *ngx_http_kot_html_lang_switch(ngx_http_kot_html_t *h,
    size_t *len);
static void ngx_http_kot_look_value(ngx_http_kot_look_t *look,
    const char *name, kot_lang_t lang, ngx_str_t *out);
static ngx_int_t ngx_http_kot_look_read(ngx_conf_t *cf, ngx_str_t *dir,
    const char *name, ngx_str_t *path, ngx_str_t *out);
static char *ngx_http_kot_look_parse(ngx_conf_t *cf,
    ngx_http_kot_look_t *look, ngx_str_t *path, ngx_str_t *layout);
static ngx_int_t ngx_http_kot_look_style(ngx_conf_t *cf,
    ngx_http_kot_look_t *look, ngx_str_t *extra);
static void ngx_http_kot_look_cleanup(void *data);
static ngx_int_t ngx_http_kot_document(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_value_is(ngx_table_elt_t *h, const char *value,
    size_t len);


ngx_int_t
ngx_http_kot_page_login(ngx_http_request_t *r, ngx_http_kot_page_t *p)
{
    ngx_http_kot_html_t  h;

    ngx_http_kot_html_init(r, &h);
    ngx_http_kot_html_head(&h, NGX_HTTP_KOT_T_LOGIN);
    ngx_http_kot_html_msgs(&h, p);
    ngx_http_kot_html_form(&h, p);

    /* the first field left to fill, as what was typed comes back */
    h.page = p;
    h.focus = (p->ask_tenant && p->tenant.len == 0) ? "tenant"
              : (p->username.len == 0) ? "username" : "password";

    if (p->ask_tenant) {
        ngx_http_kot_html_input(&h, NGX_HTTP_KOT_T_TENANT, "tenant",
                                "required autocomplete=\"organization\"",
                                NULL, &p->tenant);
    }

    ngx_http_kot_html_input(&h, NGX_HTTP_KOT_T_USERNAME, "username",
                            "required autocomplete=\"username\"", NULL,
                            &p->username);
    ngx_http_kot_html_input(&h, NGX_HTTP_KOT_T_PASSWORD, "password",
                            "type=\"password\" required "
                            "autocomplete=\"current-password\"", NULL, NULL);
    ngx_http_kot_html_button(&h, NGX_HTTP_KOT_T_LOGIN);

    ngx_http_kot_html_raw(&h, "<p class=\"kot-help\"><strong>");
    ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_FORGOT);
    ngx_http_kot_html_raw(&h, "</strong> ");
    ngx_http_kot_html_value(&h, "help");
    ngx_http_kot_html_raw(&h, "</p>\n");

    return ngx_http_kot_html_send(&h, p->status);
}


ngx_int_t
ngx_http_kot_page_logout(ngx_http_request_t *r, ngx_http_kot_page_t *p)
{
    ngx_http_kot_html_t  h;

    ngx_http_kot_html_init(r, &h);
    ngx_http_kot_html_head(&h, NGX_HTTP_KOT_T_LOGOUT);
    ngx_http_kot_html_msgs(&h, p);
    ngx_http_kot_html_raw(&h, "<p>");
    ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_LOGOUT_ASK);
    ngx_http_kot_html_raw(&h, "</p>\n");
    ngx_http_kot_html_form(&h, p);

    return ngx_http_kot_html_submit(&h, NGX_HTTP_KOT_T_LOGOUT, p->status);
}


ngx_int_t
ngx_http_kot_page_password(ngx_http_request_t *r, ngx_http_kot_page_t *p)
{
    ngx_http_kot_html_t  h;

    ngx_http_kot_html_init(r, &h);
    ngx_http_kot_html_head(&h, NGX_HTTP_KOT_T_CHANGE);
    ngx_http_kot_html_msgs(&h, p);
    ngx_http_kot_html_form(&h, p);

    h.page = p;
    h.focus = p->error_field ? p->error_field : "current_password";

    /* the field stays after a refusal, and never has a value */
    ngx_http_kot_html_input(&h, NGX_HTTP_KOT_T_CURRENT, "current_password",
                            "type=\"password\" required "
                            "autocomplete=\"current-password\"", NULL, NULL);
    ngx_http_kot_html_input(&h, NGX_HTTP_KOT_T_NEW, "new_password",
                            "type=\"password\" required "
                            "autocomplete=\"new-password\"", "kot-rules",
                            NULL);
    ngx_http_kot_html_rules(&h, p->policy);
    ngx_http_kot_html_input(&h, NGX_HTTP_KOT_T_CONFIRM, "confirm_password",
                            "type=\"password\" required "
                            "autocomplete=\"new-password\"", NULL, NULL);

    return ngx_http_kot_html_submit(&h, NGX_HTTP_KOT_T_CHANGE_BUTTON,
                                    p->status);
}


/* The second step of a login. */

ngx_int_t
ngx_http_kot_page_code(ngx_http_request_t *r, ngx_http_kot_page_t *p)
{
    ngx_http_kot_html_t  h;

    ngx_http_kot_html_init(r, &h);
    ngx_http_kot_html_head(&h, NGX_HTTP_KOT_T_CODE_TITLE);
    ngx_http_kot_html_msgs(&h, p);
    ngx_http_kot_html_raw(&h, "<p>");
    ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_CODE_ASK);
    ngx_http_kot_html_raw(&h, "</p>\n");
    ngx_http_kot_html_form(&h, p);

    h.page = p;
    h.focus = "code";

    /* not inputmode="numeric": a recovery code has letters */
    ngx_http_kot_html_input(&h, NGX_HTTP_KOT_T_CODE, "code",
                            "required autocomplete=\"one-time-code\" "
                            "autocapitalize=\"off\" spellcheck=\"false\"",
                            NULL, NULL);

    return ngx_http_kot_html_submit(&h, NGX_HTTP_KOT_T_VERIFY, p->status);
}


/*
 * The enrolment page: how things stand, the offered seed as a QR code and
 * as text with the form that confirms it, and for a user who has MFA and
 * may go without it, the form that removes it.
 */

ngx_int_t
ngx_http_kot_page_mfa(ngx_http_request_t *r, ngx_http_kot_page_t *p,
    ngx_http_kot_mfa_view_t *v)
{
    ngx_http_kot_html_t  h;

    ngx_http_kot_html_init(r, &h);
    ngx_http_kot_html_head(&h, NGX_HTTP_KOT_T_MFA_TITLE);
    ngx_http_kot_html_msgs(&h, p);
    ngx_http_kot_html_mfa_status(&h, v);

    /* no focus at first: the page begins with a QR code to scan */
    h.page = p;
    h.focus = p->error_field;

    if (v->secret.len) {
        ngx_http_kot_html_mfa_setup(&h, p, v);
    }

    if (v->enrolled.len && !v->required) {
        ngx_http_kot_html_raw(&h, "<h2>");
        ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_MFA_REMOVE);
        ngx_http_kot_html_raw(&h, "</h2>\n");
        ngx_http_kot_html_form(&h, p);
        ngx_http_kot_html_hidden(&h, "action", "remove");

        /* an id of its own: the enrolment's password may be above it */
        ngx_http_kot_html_field(&h, NGX_HTTP_KOT_T_CURRENT,
                                "remove-password", "password",
                                "type=\"password\" required "
                                "autocomplete=\"current-password\"", NULL,
                                NULL);
        ngx_http_kot_html_button(&h, NGX_HTTP_KOT_T_MFA_REMOVE_BUTTON);
    }

    return ngx_http_kot_html_send(&h, p->status);
}


static void
ngx_http_kot_html_mfa_status(ngx_http_kot_html_t *h,
    ngx_http_kot_mfa_view_t *v)
{
    u_char  *n;

    if (v->enrolled.len == 0) {
        return;
    }

    n = ngx_pnalloc(h->r->pool, NGX_INT_T_LEN);
    if (n == NULL) {
        h->failed = 1;
        return;
    }

    ngx_http_kot_html_raw(h, "<p class=\"msg info\">");
    ngx_http_kot_html_say(h, NGX_HTTP_KOT_T_MFA_ON);
    ngx_http_kot_html_text(h, &v->enrolled);
    ngx_http_kot_html_raw(h, "<br>");
    ngx_http_kot_html_say(h, NGX_HTTP_KOT_T_MFA_LEFT);
    ngx_http_kot_html_add(h, n, ngx_sprintf(n, "%ui", v->codes_left) - n);
    ngx_http_kot_html_raw(h, "</p>\n");
}


static void
ngx_http_kot_html_mfa_setup(ngx_http_kot_html_t *h, ngx_http_kot_page_t *p,
    ngx_http_kot_mfa_view_t *v)
{
    ngx_http_kot_html_raw(h, "<h2>");
    ngx_http_kot_html_say(h, v->enrolled.len ? NGX_HTTP_KOT_T_MFA_REPLACE
                                             : NGX_HTTP_KOT_T_MFA_SETUP);
    ngx_http_kot_html_raw(h, "</h2>\n<p>");
    ngx_http_kot_html_say(h, NGX_HTTP_KOT_T_MFA_SCAN);
    ngx_http_kot_html_raw(h, "</p>\n");

    /* ours, drawn from the seed: no escaping needed, none possible */
    ngx_http_kot_html_add(h, v->svg.data, v->svg.len);

    ngx_http_kot_html_raw(h, "\n<p>");
    ngx_http_kot_html_say(h, NGX_HTTP_KOT_T_MFA_KEY);
    ngx_http_kot_html_raw(h, ": <code id=\"kot-totp-secret\">");
    ngx_http_kot_html_text(h, &v->secret);
    ngx_http_kot_html_raw(h, "</code></p>\n<p><a href=\"");
    ngx_http_kot_html_text(h, &v->uri);
    ngx_http_kot_html_raw(h, "\">");
    ngx_http_kot_html_say(h, NGX_HTTP_KOT_T_MFA_OPEN_APP);
    ngx_http_kot_html_raw(h, "</a></p>\n");

    ngx_http_kot_html_form(h, p);
    ngx_http_kot_html_hidden(h, "action", "enrol");

    /*
     * kot_code_kind()'s TOTP code: 6 digits, with spaces and dashes
     * anywhere, as apps show them and password managers paste them
     */
    ngx_http_kot_html_input(h, NGX_HTTP_KOT_T_MFA_APP_CODE, "code",
                            "required inputmode=\"numeric\" "
                            "autocomplete=\"one-time-code\" "
                            "pattern=\"[ \\-]*(?:[0-9][ \\-]*){6}\"", NULL,
                            NULL);

    /* and the password, but in a session bound to enrol */
    if (v->password) {
        ngx_http_kot_html_input(h, NGX_HTTP_KOT_T_CURRENT, "password",
                                "type=\"password\" required "
                                "autocomplete=\"current-password\"", NULL,
                                NULL);
    }

    ngx_http_kot_html_button(h, v->enrolled.len
                                ? NGX_HTTP_KOT_T_MFA_REPLACE
                                : NGX_HTTP_KOT_T_MFA_TURN_ON);
}


/* The recovery codes of a new enrolment: shown once, here. */

ngx_int_t
ngx_http_kot_page_recovery(ngx_http_request_t *r, ngx_http_kot_page_t *p,
    ngx_http_kot_mfa_view_t *v)
{
    ngx_uint_t           i;
    ngx_http_kot_html_t  h;

    ngx_http_kot_html_init(r, &h);
    ngx_http_kot_html_head(&h, NGX_HTTP_KOT_T_MFA_CODES_TITLE);
    ngx_http_kot_html_msgs(&h, p);
    ngx_http_kot_html_raw(&h, "<ol class=\"codes\">\n");

    for (i = 0; i < KOT_RECOVERY_N; i++) {
        ngx_http_kot_html_raw(&h, "<li class=\"kot-recovery-code\">");
        ngx_http_kot_html_add(&h, v->codes[i], KOT_RECOVERY_LEN);
        ngx_http_kot_html_raw(&h, "</li>\n");
    }

    ngx_http_kot_html_raw(&h, "</ol>\n<p><a class=\"kot-continue\" "
                              "href=\"");
    ngx_http_kot_html_text(&h, &p->return_to);
    ngx_http_kot_html_raw(&h, "\">");
    ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_CONTINUE);
    ngx_http_kot_html_raw(&h, "</a></p>\n");

    return ngx_http_kot_html_send(&h, p->status);
}


/* A refusal with nothing to retry on this page. */

ngx_int_t
ngx_http_kot_page_error(ngx_http_request_t *r, ngx_uint_t status,
    ngx_http_kot_msg_t msg, ngx_uint_t num)
{
    ngx_str_t                 back, addr;
    struct sockaddr          *sa;
    ngx_http_kot_html_t       h;
    ngx_http_kot_page_t       p;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    ngx_memzero(&p, sizeof(ngx_http_kot_page_t));
    p.msgs[0] = msg;
    p.nums[0] = num;
    p.nmsgs = 1;

    if (status == NGX_HTTP_TOO_MANY_REQUESTS || status == 503) {
        if (ngx_http_kot_retry_after(r, num ? num : 5) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    back = klcf->portal.len ? klcf->portal : klcf->portal_uri;

    ngx_http_kot_html_init(r, &h);
    ngx_http_kot_html_head(&h, (status == NGX_HTTP_FORBIDDEN)
                               ? NGX_HTTP_KOT_T_FORBIDDEN
                               : (status == NGX_HTTP_NOT_FOUND)
                               ? NGX_HTTP_KOT_T_NOT_FOUND
                               : NGX_HTTP_KOT_T_ERROR);
    ngx_http_kot_html_msgs(&h, &p);

    /* so that the user can tell the administrator what to allow */
    if (msg == NGX_HTTP_KOT_MSG_IP_DENIED
        && ngx_http_kot_client(r, &sa, &addr) == NGX_OK)
    {
        ngx_http_kot_html_raw(&h, "<p>");
        ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_ADDRESS);
        ngx_http_kot_html_raw(&h, "<span class=\"kot-address\">");
        ngx_http_kot_html_text(&h, &addr);
        ngx_http_kot_html_raw(&h, "</span></p>\n");
    }

    ngx_http_kot_html_raw(&h, "<p><a href=\"");
    ngx_http_kot_html_text(&h, &back);
    ngx_http_kot_html_raw(&h, "login\">");
    ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_BACK);
    ngx_http_kot_html_raw(&h, "</a></p>\n");

    return ngx_http_kot_html_send(&h, status);
}


/*
 * The user's own sessions, newest login first: the device in words, "this
 * device", the address and times, a button to end each of the others, and
 * one to end them all.  Nothing here is the client's text but addresses,
 * which are escaped all the same.
 */

ngx_int_t
ngx_http_kot_page_sessions(ngx_http_request_t *r, ngx_http_kot_page_t *p,
    ngx_array_t *rows)
{
    u_char                      *buf;
    ngx_str_t                    logout;
    ngx_uint_t                   i, others;
    ngx_http_kot_html_t          h;
    ngx_http_kot_session_row_t  *row;

    if (ngx_http_kot_url(r, &logout, "logout") != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_html_init(r, &h);
    ngx_http_kot_html_head(&h, NGX_HTTP_KOT_T_SESSIONS_TITLE);
    ngx_http_kot_html_msgs(&h, p);
    ngx_http_kot_html_raw(&h, "<ul class=\"kot-sessions\">\n");

    row = rows->elts;
    others = 0;

    for (i = 0; i < rows->nelts; i++) {
        buf = ngx_pnalloc(r->pool, KOT_DEVICE_WORDS_MAX);
        if (buf == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_http_kot_html_raw(&h, "<li class=\"kot-session\" "
                                  "data-session=\"");
        ngx_http_kot_html_text(&h, &row[i].handle);
        ngx_http_kot_html_fmt(&h, "\"><strong id=\"kot-device-%ui\">", i);
        ngx_http_kot_html_add(&h, buf,
                              kot_device_words((char *) row[i].device.data,
                                               row[i].device.len, h.lang,
                                               (char *) buf));
        ngx_http_kot_html_raw(&h, "</strong>");

        if (row[i].current) {
            ngx_http_kot_html_raw(&h, "<span class=\"kot-this\">");
            ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_THIS_DEVICE);
            ngx_http_kot_html_raw(&h, "</span>");

        } else {
            others++;
        }

        ngx_http_kot_html_fmt(&h, "<br><span id=\"kot-about-%ui\">", i);
        ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_IP_ADDRESS);
        ngx_http_kot_html_text(&h, &row[i].address);
        ngx_http_kot_html_raw(&h, "<br>");
        ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_LOGGED_IN);
        ngx_http_kot_html_time(&h, row[i].created);
        ngx_http_kot_html_raw(&h, "<br>");
        ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_LAST_ACTIVE);
        ngx_http_kot_html_time(&h, row[i].last);
        ngx_http_kot_html_raw(&h, "</span>\n");

        if (row[i].current) {
            /* on a shared computer, the way out is where "this" is */
            ngx_http_kot_html_raw(&h, "<a class=\"kot-logout\" href=\"");
            ngx_http_kot_html_text(&h, &logout);
            ngx_http_kot_html_raw(&h, "\">");
            ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_LOGOUT);
            ngx_http_kot_html_raw(&h, "</a>\n");

        } else {
            ngx_http_kot_html_form(&h, p);
            ngx_http_kot_html_raw(&h, "<input type=\"hidden\" name=\"end\" "
                                      "value=\"");
            ngx_http_kot_html_text(&h, &row[i].handle);
            ngx_http_kot_html_raw(&h, "\">\n");
            ngx_http_kot_html_end_button(&h, i);
        }

        ngx_http_kot_html_raw(&h, "</li>\n");
    }

    ngx_http_kot_html_raw(&h, "</ul>\n");

    if (others > 1) {
        ngx_http_kot_html_form(&h, p);
        ngx_http_kot_html_hidden(&h, "end", "others");
        ngx_http_kot_html_button(&h, NGX_HTTP_KOT_T_END_OTHERS);
    }

    /*
     * The application's root, never a target of the request's: this page
     * is reached from anywhere, so no address of the request is trusted
     */
    ngx_http_kot_html_raw(&h, "<p><a class=\"kot-back\" href=\"/\">");
    ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_BACK_TO_APP);
    ngx_http_kot_html_raw(&h, "</a></p>\n");

    return ngx_http_kot_html_send(&h, NGX_HTTP_OK);
}


/*
 * Right after a login: the login before it and the failed logins since,
 * then the way on to return_to.
 */

ngx_int_t
ngx_http_kot_page_welcome(ngx_http_request_t *r, ngx_http_kot_page_t *p,
    ngx_http_kot_last_login_t *ll)
{
    ngx_http_kot_html_t  h;

    ngx_http_kot_html_init(r, &h);
    ngx_http_kot_html_head(&h, NGX_HTTP_KOT_T_WELCOME_TITLE);
    ngx_http_kot_html_raw(&h, "<p class=\"kot-last-login\">");

    if (ll->time) {
        ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_LAST_LOGIN_AT);
        ngx_http_kot_html_time(&h, ll->time);
        ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_LAST_LOGIN_FROM);
        ngx_http_kot_html_text(&h, &ll->address);
        ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_LAST_LOGIN_END);

    } else {
        ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_FIRST_LOGIN);
    }

    ngx_http_kot_html_raw(&h, "</p>\n");
    ngx_http_kot_html_msgs(&h, p);
    ngx_http_kot_html_raw(&h, "<p><a class=\"kot-continue\" href=\"");
    ngx_http_kot_html_text(&h, &p->return_to);
    ngx_http_kot_html_raw(&h, "\">");
    ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_CONTINUE);
    ngx_http_kot_html_raw(&h, "</a></p>\n");

    return ngx_http_kot_html_send(&h, NGX_HTTP_OK);
}


/*
 * A time of Redis's (ms), in UTC: the server knows no user's zone.  How
 * long ago follows, which needs none: 07:08 UTC is 16:08 in Tokyo, and a
 * user who reads "07:08" on a security notice must not have to work out
 * whether that was them.
 */

static void
ngx_http_kot_html_time(ngx_http_kot_html_t *h, uint64_t ms)
{
    u_char    *p;
    ngx_tm_t   tm;

    p = ngx_pnalloc(h->r->pool, sizeof("2026-12-02 07:08 UTC") - 1);
    if (p == NULL) {
        h->failed = 1;
        return;
    }

    ngx_gmtime((time_t) (ms / 1000), &tm);

    ngx_http_kot_html_add(h, p, ngx_sprintf(p, "%4d-%02d-%02d %02d:%02d UTC",
                                            tm.ngx_tm_year, tm.ngx_tm_mon,
                                            tm.ngx_tm_mday, tm.ngx_tm_hour,
                                            tm.ngx_tm_min)
                                - p);

    ngx_http_kot_html_ago(h, ms);
}


/* " (3 hours ago)", rounded down; a time ahead of this clock is now. */

static void
ngx_http_kot_html_ago(ngx_http_kot_html_t *h, uint64_t ms)
{
    uint64_t                 now, s;
    ngx_http_kot_ago_e       unit;
    static const uint64_t    secs[] = { 1, 60, 3600, 86400 };

    now = ngx_http_kot_now();
    s = (now > ms) ? (now - ms) / 1000 : 0;

    unit = (s < 60) ? NGX_HTTP_KOT_AGO_NOW
           : (s < 3600) ? NGX_HTTP_KOT_AGO_MINUTES
           : (s < 86400) ? NGX_HTTP_KOT_AGO_HOURS
           : NGX_HTTP_KOT_AGO_DAYS;

    s /= secs[unit];

    ngx_http_kot_html_fmt(h, ngx_http_kot_ago[unit][s == 1][h->lang],
                          (ngx_uint_t) s);
}


/*
 * A connection below kot_min_tls: the protocol it used and the one it
 * needs, both named by the module (never by the client).
 */

ngx_int_t
ngx_http_kot_page_tls(ngx_http_request_t *r, const char *protocol,
    const char *floor)
{
    u_char               *buf, *last;
    size_t                len;
    const char           *text;
    ngx_http_kot_html_t   h;

    ngx_http_kot_html_init(r, &h);

    text = ngx_http_kot_texts[NGX_HTTP_KOT_T_TLS_TEXT][h.lang];
    len = ngx_strlen(text) + ngx_strlen(protocol) + ngx_strlen(floor);

    buf = ngx_pnalloc(r->pool, len);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = ngx_snprintf(buf, len, text, protocol, floor);

    ngx_http_kot_html_head(&h, NGX_HTTP_KOT_T_TLS_TITLE);
    ngx_http_kot_html_raw(&h, "<p class=\"msg\" role=\"alert\">");
    ngx_http_kot_html_add(&h, buf, last - buf);
    ngx_http_kot_html_raw(&h, "</p>\n");

    return ngx_http_kot_html_send(&h, NGX_HTTP_FORBIDDEN);
}


/*
 * Redis is down or slow, or the hash queue is full: nothing can be
 * checked, so nothing passes.  Browsers get a page, others JSON.
 */

ngx_int_t
ngx_http_kot_unavailable(ngx_http_request_t *r)
{
    ngx_http_kot_html_t  h;

    if (ngx_http_kot_retry_after(r, 5) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!ngx_http_kot_is_browser(r)) {
        return ngx_http_kot_json(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                 "session_store_unavailable");
    }

    ngx_http_kot_html_init(r, &h);
    ngx_http_kot_html_head(&h, NGX_HTTP_KOT_T_UNAVAILABLE);
    ngx_http_kot_html_raw(&h, "<p>");
    ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_UNAVAILABLE_TEXT);
    ngx_http_kot_html_raw(&h, "</p>\n");

    return ngx_http_kot_html_send(&h, NGX_HTTP_SERVICE_UNAVAILABLE);
}


ngx_int_t
ngx_http_kot_json(ngx_http_request_t *r, ngx_uint_t status,
    const char *error)
{
    return ngx_http_kot_json_why(r, status, error, NULL);
}


/* {"error":...} with a "reason" when there is one: words of the code's */

static ngx_int_t
ngx_http_kot_json_why(ngx_http_request_t *r, ngx_uint_t status,
    const char *error, const char *reason)
{
    u_char  *p, *last;
    size_t   len;

    len = sizeof("{\"error\":\"\",\"reason\":\"\"}\n") - 1
          + ngx_strlen(error) + (reason ? ngx_strlen(reason) : 0);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = reason
           ? ngx_sprintf(p, "{\"error\":\"%s\",\"reason\":\"%s\"}\n",
                         error, reason)
           : ngx_sprintf(p, "{\"error\":\"%s\"}\n", error);

    return ngx_http_kot_send(r, status, "application/json", p, last - p);
}


/*
 * 401 for a client that is not navigating: a login is needed (error
 * says which step).  RFC 9110 wants a challenge with every 401; the
 * "Cookie" scheme names no standard, and tells a client that speaks only
 * Basic or Bearer that none of them will do (README: "Non-browser
 * clients").
 */

ngx_int_t
ngx_http_kot_unauthorized(ngx_http_request_t *r, const char *error,
    const char *reason)
{
    static u_char  challenge[] = "Cookie realm=\"kot\"";

    if (ngx_http_kot_add_header(r, "WWW-Authenticate", challenge,
                                sizeof(challenge) - 1)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_json_why(r, NGX_HTTP_UNAUTHORIZED, error, reason);
}


/*
 * A JSON answer (body is stolen); NULL, from a failed json_pack(), is
 * 500, but for 204, which has no body.
 */

ngx_int_t
ngx_http_kot_send_json(ngx_http_request_t *r, ngx_uint_t status,
    json_t *body)
{
    u_char  *p;
    size_t   len;

    if (status == NGX_HTTP_NO_CONTENT) {
        json_decref(body);
        return ngx_http_kot_send(r, status, "application/json", NULL, 0);
    }

    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = json_dumpb(body, NULL, 0, JSON_COMPACT);
    p = (len == 0) ? NULL : ngx_pnalloc(r->pool, len + 1);

    if (p == NULL || json_dumpb(body, (char *) p, len, JSON_COMPACT) != len) {
        json_decref(body);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json_decref(body);
    p[len] = '\n';

    return ngx_http_kot_send(r, status, "application/json", p, len + 1);
}


ngx_int_t
ngx_http_kot_redirect(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *location)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Location");
    h->value = *location;

    /*
     * Not r->headers_out.location: nginx would make it absolute with the
     * scheme it sees, which is wrong behind a TLS-terminating balancer.
     */

    return ngx_http_kot_send(r, status, "text/plain", NULL, 0);
}


/*
 * Sends the browser to a portal page: {portal}{page}[?return_to=...]
 * [&flag=1], or [&flag] if the flag has its value ("removed=1&ended=2").
 * A POST is answered with 303 so that the browser GETs it.
 */

ngx_int_t
ngx_http_kot_goto_portal(ngx_http_request_t *r, const char *page,
    ngx_str_t *return_to, const char *flag)
{
    u_char                   *p;
    size_t                    len;
    ngx_str_t                 base, location;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    base = klcf->portal.len ? klcf->portal : klcf->portal_uri;

    len = base.len + ngx_strlen(page)
          + sizeof("?return_to=") - 1 + sizeof("&=1") - 1;

    if (return_to) {
        len += kot_url_escape_len((char *) return_to->data, return_to->len);
    }

    if (flag) {
        len += ngx_strlen(flag);
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    location.data = p;

    p = ngx_cpymem(p, base.data, base.len);
    p = ngx_sprintf(p, "%s", page);

    if (return_to) {
        p = ngx_cpymem(p, "?return_to=", sizeof("?return_to=") - 1);
        p += kot_url_escape((char *) p, (char *) return_to->data,
                            return_to->len);
    }

    if (flag) {
        p = ngx_sprintf(p, ngx_strchr(flag, '=') ? "%c%s" : "%c%s=1",
                        return_to ? '&' : '?', flag);
    }

    location.len = p - location.data;

    return ngx_http_kot_redirect(r, (r->method == NGX_HTTP_POST)
                                    ? NGX_HTTP_SEE_OTHER
                                    : NGX_HTTP_MOVED_TEMPORARILY,
                                 &location);
}


/*
 * A browser navigation (the address bar, a link, a form), which a login
 * page can help; a script's request cannot (an XHR would follow the
 * redirect silently and get the login page as its data), nor can a
 * subrequest: its answer goes to another module (auth_request makes any
 * redirect a 500), never to the address bar.  Sec-Fetch-Mode, which
 * browsers set and scripts cannot, decides when it is there; without
 * it, X-Requested-With, a Sec-Fetch-Dest other than a document, or an
 * Accept without text/html mean a script.
 */

ngx_int_t
ngx_http_kot_is_browser(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    if (r != r->main
        || !(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST)))
    {
        return 0;
    }

    h = ngx_http_kot_header_in(r, "sec-fetch-mode", 14);

    if (h) {
        if (!ngx_http_kot_value_is(h, "navigate", 8)) {
            return 0;
        }

        return ngx_http_kot_document(r);
    }

    if (ngx_http_kot_header_in(r, "x-requested-with", 16)
        || !ngx_http_kot_document(r))
    {
        return 0;
    }

    h = ngx_http_kot_header_in(r, "accept", 6);

    return h != NULL
           && ngx_strlcasestrn(h->value.data, h->value.data + h->value.len,
                               (u_char *) "text/html", 9 - 1)
              != NULL;
}


/* Sec-Fetch-Dest, if sent, names a page of a window or a frame. */

static ngx_int_t
ngx_http_kot_document(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    h = ngx_http_kot_header_in(r, "sec-fetch-dest", 14);

    return h == NULL
           || ngx_http_kot_value_is(h, "document", 8)
           || ngx_http_kot_value_is(h, "iframe", 6)
           || ngx_http_kot_value_is(h, "frame", 5);
}


static ngx_int_t
ngx_http_kot_value_is(ngx_table_elt_t *h, const char *value, size_t len)
{
    return h->value.len == len
           && ngx_strncasecmp(h->value.data, (u_char *) value, len) == 0;
}


/*
 * The language switch's choice in ?lang= or its cookie, else the
 * browser's Accept-Language.
 */

kot_lang_t
ngx_http_kot_lang(ngx_http_request_t *r)
{
    int               lang;
    ngx_str_t         v;
    ngx_table_elt_t  *h;

    if (ngx_http_arg(r, (u_char *) "lang", 4, &v) == NGX_OK) {
        lang = kot_lang_named((char *) v.data, v.len);

        if (lang >= 0) {
            return (kot_lang_t) lang;
        }
    }

    if (ngx_http_kot_cookie(r, NGX_HTTP_KOT_COOKIE_LANG, &v) == NGX_OK) {
        lang = kot_lang_named((char *) v.data, v.len);

        if (lang >= 0) {
            return (kot_lang_t) lang;
        }
    }

    h = ngx_http_kot_header_in(r, "accept-language", 15);

    if (h == NULL) {
        return KOT_LANG_EN;
    }

    return kot_lang_pick((char *) h->value.data, h->value.len);
}


static void
ngx_http_kot_html_init(ngx_http_request_t *r, ngx_http_kot_html_t *h)
{
    h->r = r;
    h->len = 0;
    h->lang = ngx_http_kot_lang(r);
    h->failed = (ngx_array_init(&h->parts, r->pool, 48, sizeof(ngx_str_t))
                 != NGX_OK);
    h->page = NULL;
    h->focus = NULL;
    ngx_str_null(&h->return_to);
}


static void
ngx_http_kot_html_add(ngx_http_kot_html_t *h, u_char *data, size_t len)
{
    ngx_str_t  *s;

    if (h->failed) {
        return;
    }

    s = ngx_array_push(&h->parts);
    if (s == NULL) {
        h->failed = 1;
        return;
    }

    s->data = data;
    s->len = len;
    h->len += len;
}


static void
ngx_http_kot_html_raw(ngx_http_kot_html_t *h, const char *s)
{
    ngx_http_kot_html_add(h, (u_char *) s, ngx_strlen(s));
}


static void
ngx_http_kot_html_text(ngx_http_kot_html_t *h, ngx_str_t *s)
{
    u_char  *p;
    size_t   len;

    len = kot_html_escape_len((char *) s->data, s->len);

    p = ngx_pnalloc(h->r->pool, len);
    if (p == NULL) {
        h->failed = 1;
        return;
    }

    kot_html_escape((char *) p, (char *) s->data, s->len);

    ngx_http_kot_html_add(h, p, len);
}


static void
ngx_http_kot_html_say(ngx_http_kot_html_t *h, ngx_http_kot_text_e id)
{
    ngx_http_kot_html_raw(h, ngx_http_kot_texts[id][h->lang]);
}


/* The page's title, and its heading: the rest of <head> is the look's. */

static void
ngx_http_kot_html_head(ngx_http_kot_html_t *h, ngx_http_kot_text_e title)
{
    h->title = title;

    ngx_http_kot_html_raw(h, "<h1>");
    ngx_http_kot_html_say(h, title);
    ngx_http_kot_html_raw(h, "</h1>\n");
}


/* A value of the look (kot_portal_templates), escaped. */

static void
ngx_http_kot_html_value(ngx_http_kot_html_t *h, const char *name)
{
    ngx_str_t                 v;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(h->r, ngx_http_kot_module);

    ngx_http_kot_look_value(klcf->look, name, h->lang, &v);
    ngx_http_kot_html_text(h, &v);
}


/* The policy's rules in force, before the first try. */

static void
ngx_http_kot_html_rules(ngx_http_kot_html_t *h, const kot_policy_t *policy)
{
    if (policy == NULL) {
        return;
    }

    ngx_http_kot_html_raw(h, "<div id=\"kot-rules\" class=\"kot-rules\">");
    ngx_http_kot_html_say(h, NGX_HTTP_KOT_T_RULES);
    ngx_http_kot_html_raw(h, "\n<ul>\n");

    ngx_http_kot_html_rule(h, NGX_HTTP_KOT_R_MIN, policy->min_length);
    ngx_http_kot_html_rule(h, NGX_HTTP_KOT_R_MAX, policy->max_length);

    if (policy->classes > 1) {
        ngx_http_kot_html_rule(h, NGX_HTTP_KOT_R_CLASSES, policy->classes);
    }

    if (policy->not_username) {
        ngx_http_kot_html_rule(h, NGX_HTTP_KOT_R_USERNAME, 0);
    }

    if (policy->blocklist) {
        ngx_http_kot_html_rule(h, NGX_HTTP_KOT_R_BLOCKLIST, 0);
    }

    /* history counts the current password; without it, it is refused */
    if (policy->history > 1) {
        ngx_http_kot_html_rule(h, NGX_HTTP_KOT_R_HISTORY, policy->history);

    } else {
        ngx_http_kot_html_rule(h, NGX_HTTP_KOT_R_CURRENT, 0);
    }

    if (policy->max_age) {
        ngx_http_kot_html_rule(h, NGX_HTTP_KOT_R_MAX_AGE,
                               (ngx_uint_t) (policy->max_age / 86400000));
    }

    ngx_http_kot_html_raw(h, "</ul></div>\n");
}


static void
ngx_http_kot_html_rule(ngx_http_kot_html_t *h, ngx_http_kot_rule_e rule,
    ngx_uint_t num)
{
    ngx_http_kot_html_raw(h, "<li>");
    ngx_http_kot_html_fmt(h, ngx_http_kot_rules[rule][h->lang], num);
    ngx_http_kot_html_raw(h, "</li>\n");
}


/* A text of ours (no escaping), with maybe one number ("%ui"). */

static void
ngx_http_kot_html_fmt(ngx_http_kot_html_t *h, const char *fmt,
    ngx_uint_t num)
{
    u_char  *buf, *last;
    size_t   len;

    len = ngx_strlen(fmt) + NGX_INT_T_LEN;

    buf = ngx_pnalloc(h->r->pool, len);
    if (buf == NULL) {
        h->failed = 1;
        return;
    }

    last = ngx_snprintf(buf, len, fmt, num);

    ngx_http_kot_html_add(h, buf, last - buf);
}


/*
 * An alert has an id, kot-msg-N (N: its place among the page's messages),
 * for the field that has the focus to be described by.
 */

static void
ngx_http_kot_html_msgs(ngx_http_kot_html_t *h, ngx_http_kot_page_t *p)
{
    ngx_uint_t          i;
    ngx_http_kot_msg_t  m;

    for (i = 0; i < p->nmsgs; i++) {
        m = p->msgs[i];

        ngx_http_kot_html_fmt(h, ngx_http_kot_msg_is_info(m)
                                 ? "<p class=\"msg info\" role=\"status\">"
                                 : "<p class=\"msg\" role=\"alert\" "
                                   "id=\"kot-msg-%ui\">", i);

        /* messages are ours: no escaping, but maybe one number */
        ngx_http_kot_html_fmt(h, ngx_http_kot_msgs[m][h->lang], p->nums[i]);
        ngx_http_kot_html_raw(h, "</p>\n");
    }
}


static void
ngx_http_kot_html_form(ngx_http_kot_html_t *h, ngx_http_kot_page_t *p)
{
    ngx_http_kot_html_raw(h, "<form method=\"post\" action=\"");
    ngx_http_kot_html_text(h, &p->action);
    ngx_http_kot_html_raw(h, "\">\n<input type=\"hidden\" name=\"csrf\" "
                             "value=\"");
    ngx_http_kot_html_text(h, &p->csrf);
    ngx_http_kot_html_raw(h, "\">\n");

    h->return_to = p->return_to;

    if (p->return_to.len) {
        ngx_http_kot_html_raw(h, "<input type=\"hidden\" name=\"return_to\" "
                                 "value=\"");
        ngx_http_kot_html_text(h, &p->return_to);
        ngx_http_kot_html_raw(h, "\">\n");
    }
}


static ngx_uint_t
ngx_http_kot_msg_is_info(ngx_http_kot_msg_t m)
{
    return m == NGX_HTTP_KOT_MSG_LOGGED_OUT
           || m == NGX_HTTP_KOT_MSG_MFA_REMOVED
           || m == NGX_HTTP_KOT_MSG_MFA_ENROLLED
           || m == NGX_HTTP_KOT_MSG_SESSIONS_ENDED
           || m == NGX_HTTP_KOT_MSG_MFA_OTHERS_ENDED
           || m == NGX_HTTP_KOT_MSG_OTHERS_EVICTED;
}


/*
 * A labelled field; help: the id of the text that explains it.  The one
 * with the focus (h->focus) gets autofocus and is described by the page's
 * alerts too: a screen reader does not read an alert that was there when
 * the page came, but reads a field's description as the focus lands.
 */

static void
ngx_http_kot_html_input(ngx_http_kot_html_t *h, ngx_http_kot_text_e label,
    const char *name, const char *attrs, const char *help, ngx_str_t *value)
{
    ngx_http_kot_html_field(h, label, name, name, attrs, help, value);
}


/*
 * The same, for a page with two fields of one name: the field's id, the
 * one that h->focus and p->error_field name, is not its name.
 */

static void
ngx_http_kot_html_field(ngx_http_kot_html_t *h, ngx_http_kot_text_e label,
    const char *id, const char *name, const char *attrs, const char *help,
    ngx_str_t *value)
{
    ngx_http_kot_html_raw(h, "<label for=\"");
    ngx_http_kot_html_raw(h, id);
    ngx_http_kot_html_raw(h, "\">");
    ngx_http_kot_html_say(h, label);
    ngx_http_kot_html_raw(h, "</label>\n<input id=\"");
    ngx_http_kot_html_raw(h, id);
    ngx_http_kot_html_raw(h, "\" name=\"");
    ngx_http_kot_html_raw(h, name);
    ngx_http_kot_html_raw(h, "\" ");
    ngx_http_kot_html_raw(h, attrs);
    ngx_http_kot_html_described(h, id, help);

    if (value && value->len) {
        ngx_http_kot_html_raw(h, " value=\"");
        ngx_http_kot_html_text(h, value);
        ngx_http_kot_html_raw(h, "\"");
    }

    ngx_http_kot_html_raw(h, ">\n");
}


/* autofocus, aria-invalid and aria-describedby, as they apply */

static void
ngx_http_kot_html_described(ngx_http_kot_html_t *h, const char *id,
    const char *help)
{
    ngx_uint_t            i, ids;
    ngx_http_kot_page_t  *p = h->page;

    ids = 0;

    if (h->focus && ngx_strcmp(id, h->focus) == 0) {
        ngx_http_kot_html_raw(h, " autofocus");

        if (p->error_field && ngx_strcmp(id, p->error_field) == 0) {
            ngx_http_kot_html_raw(h, " aria-invalid=\"true\"");
        }

        for (i = 0; i < p->nmsgs; i++) {
            if (!ngx_http_kot_msg_is_info(p->msgs[i])) {
                ngx_http_kot_html_fmt(h, ids++ ? " kot-msg-%ui"
                                               : " aria-describedby=\""
                                                 "kot-msg-%ui", i);
            }
        }
    }

    if (help) {
        ngx_http_kot_html_raw(h, ids++ ? " " : " aria-describedby=\"");
        ngx_http_kot_html_raw(h, help);
    }

    if (ids) {
        ngx_http_kot_html_raw(h, "\"");
    }
}


/* The form's button, and the page sent. */

static ngx_int_t
ngx_http_kot_html_submit(ngx_http_kot_html_t *h, ngx_http_kot_text_e button,
    ngx_uint_t status)
{
    ngx_http_kot_html_button(h, button);

    return ngx_http_kot_html_send(h, status);
}


/* The form's button, and the end of the form. */

static void
ngx_http_kot_html_button(ngx_http_kot_html_t *h, ngx_http_kot_text_e button)
{
    ngx_http_kot_html_raw(h, "<button type=\"submit\">");
    ngx_http_kot_html_say(h, button);
    ngx_http_kot_html_raw(h, "</button>\n</form>\n");
}


/*
 * The button that ends session n of the list.  Every one of them says
 * "Log out that device": a screen reader, which reads a button alone as
 * the user tabs to it, is given the device as part of its name and the
 * address and times as its description.
 */

static void
ngx_http_kot_html_end_button(ngx_http_kot_html_t *h, ngx_uint_t n)
{
    ngx_http_kot_html_fmt(h, "<button type=\"submit\" id=\"kot-end-%ui\" ",
                          n);
    ngx_http_kot_html_fmt(h, "aria-labelledby=\"kot-end-%ui ", n);
    ngx_http_kot_html_fmt(h, "kot-device-%ui\" ", n);
    ngx_http_kot_html_fmt(h, "aria-describedby=\"kot-about-%ui\">", n);
    ngx_http_kot_html_say(h, NGX_HTTP_KOT_T_END_SESSION);
    ngx_http_kot_html_raw(h, "</button>\n</form>\n");
}


/* name and value are ours */

static void
ngx_http_kot_html_hidden(ngx_http_kot_html_t *h, const char *name,
    const char *value)
{
    ngx_http_kot_html_raw(h, "<input type=\"hidden\" name=\"");
    ngx_http_kot_html_raw(h, name);
    ngx_http_kot_html_raw(h, "\" value=\"");
    ngx_http_kot_html_raw(h, value);
    ngx_http_kot_html_raw(h, "\">\n");
}


/* The page's own part wrapped in the look's layout, and sent. */

static ngx_int_t
ngx_http_kot_html_send(ngx_http_kot_html_t *h, ngx_uint_t status)
{
    ngx_str_t                 page, lang;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(h->r, ngx_http_kot_module);

    if (h->failed
        || ngx_http_kot_html_layout(h, klcf->look, &page) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the language switch's choice holds for the next pages too */
    if (ngx_http_arg(h->r, (u_char *) "lang", 4, &lang) == NGX_OK
        && kot_lang_named((char *) lang.data, lang.len) >= 0
        && ngx_http_kot_set_cookie(h->r, NGX_HTTP_KOT_COOKIE_LANG,
                                   lang.data, lang.len)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_kot_add_header(h->r, "Content-Security-Policy",
                                klcf->look->csp.data, klcf->look->csp.len)
        != NGX_OK
        || ngx_http_kot_add_header(h->r, "X-Frame-Options",
                                   (u_char *) "DENY", 4)
           != NGX_OK
        || ngx_http_kot_add_header(h->r, "Referrer-Policy",
                                   (u_char *) "no-referrer", 11)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_send(h->r, status, "text/html; charset=utf-8",
                             page.data, page.len);
}


static u_char *
ngx_http_kot_html_join(ngx_http_kot_html_t *h)
{
    u_char      *body, *p;
    ngx_str_t   *part;
    ngx_uint_t   i;

    body = ngx_pnalloc(h->r->pool, h->len + 1);
    if (body == NULL) {
        return NULL;
    }

    p = body;
    part = h->parts.elts;

    for (i = 0; i < h->parts.nelts; i++) {
        p = ngx_cpymem(p, part[i].data, part[i].len);
    }

    return body;
}


static ngx_int_t
ngx_http_kot_html_layout(ngx_http_kot_html_t *h, ngx_http_kot_look_t *look,
    ngx_str_t *out)
{
    ngx_str_t          v;
    ngx_uint_t         i;
    kot_tmpl_value_t  *values;

    values = ngx_pcalloc(h->r->pool, look->nnames * sizeof(kot_tmpl_value_t));
    if (values == NULL) {
        return NGX_ERROR;
    }

    for (i = NGX_HTTP_KOT_V_N; i < look->nnames; i++) {
        ngx_http_kot_look_value(look, look->names[i], h->lang, &v);
        values[i].data = (char *) v.data;
        values[i].len = v.len;
    }

    ngx_http_kot_look_value(look, "product", h->lang, &v);

    values[NGX_HTTP_KOT_V_LANG].data = (h->lang == KOT_LANG_JA) ? "ja" : "en";
    values[NGX_HTTP_KOT_V_LANG].len = 2;
    values[NGX_HTTP_KOT_V_TITLE].data = ngx_http_kot_texts[h->title][h->lang];
    values[NGX_HTTP_KOT_V_TITLE].len =
                          ngx_strlen(ngx_http_kot_texts[h->title][h->lang]);

    values[NGX_HTTP_KOT_V_HEAD].raw = 1;
    values[NGX_HTTP_KOT_V_HEAD].data = (char *)
        ngx_http_kot_html_page_head(h, look, &v,
                                    &values[NGX_HTTP_KOT_V_HEAD].len);
    values[NGX_HTTP_KOT_V_BODY].raw = 1;
    values[NGX_HTTP_KOT_V_BODY].data = (char *) ngx_http_kot_html_join(h);
    values[NGX_HTTP_KOT_V_BODY].len = h->len;
    values[NGX_HTTP_KOT_V_LANG_SWITCH].raw = 1;
    values[NGX_HTTP_KOT_V_LANG_SWITCH].data = (char *)
        ngx_http_kot_html_lang_switch(h,
                                      &values[NGX_HTTP_KOT_V_LANG_SWITCH].len);

    if (values[NGX_HTTP_KOT_V_HEAD].data == NULL
        || values[NGX_HTTP_KOT_V_BODY].data == NULL
        || values[NGX_HTTP_KOT_V_LANG_SWITCH].data == NULL)
    {
        return NGX_ERROR;
    }

    out->len = kot_tmpl_render(look->layout, values, NULL);

    out->data = ngx_pnalloc(h->r->pool, out->len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    kot_tmpl_render(look->layout, values, (char *) out->data);

    return NGX_OK;
}


/* What {{head}} holds: ours, with the title and the product escaped. */

static u_char *
ngx_http_kot_html_page_head(ngx_http_kot_html_t *h, ngx_http_kot_look_t *look,
    ngx_str_t *product, size_t *len)
{
    u_char     *buf, *p;
    const char  *title;

    static const char  meta[] =
        "<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\">\n"
        "<meta name=\"robots\" content=\"noindex\">\n<title>";

    title = ngx_http_kot_texts[h->title][h->lang];

    *len = sizeof(meta) - 1 + ngx_strlen(title) + sizeof(" - ") - 1
           + kot_html_escape_len((char *) product->data, product->len)
           + sizeof("</title>\n<style>") - 1 + look->style.len
           + sizeof("</style>\n") - 1;

    buf = ngx_pnalloc(h->r->pool, *len);
    if (buf == NULL) {
        return NULL;
    }

    p = ngx_cpymem(buf, meta, sizeof(meta) - 1);
    p = ngx_cpymem(p, title, ngx_strlen(title));
    p = ngx_cpymem(p, " - ", sizeof(" - ") - 1);
    p += kot_html_escape((char *) p, (char *) product->data, product->len);
    p = ngx_cpymem(p, "</title>\n<style>", sizeof("</title>\n<style>") - 1);
    p = ngx_cpymem(p, look->style.data, look->style.len);
    p = ngx_cpymem(p, "</style>\n", sizeof("</style>\n") - 1);

    *len = p - buf;

    return buf;
}


/*
 * Links to this page in the other language: "?" and the query without
 * its "lang", and "lang=ja" or "lang=en".  No script: a link, a cookie.
 * A page that answers a form has no query: "return_to=" and its form's
 * instead, so that the user still goes on where they were going.
 */

static u_char *
ngx_http_kot_html_lang_switch(ngx_http_kot_html_t *h, size_t *len)
{
    u_char      *buf, *p, *args;
    size_t       n, alen;
    ngx_uint_t   l;

    static const char  *label[2] = { "English", "日本語" };
    static const char  *code[2] = { "en", "ja" };

    if (h->r->method == NGX_HTTP_POST && h->return_to.len) {
        n = sizeof("return_to=") - 1
            + kot_url_escape_len((char *) h->return_to.data,
                                 h->return_to.len);

        args = ngx_pnalloc(h->r->pool, n);
        if (args == NULL) {
            return NULL;
        }

        p = ngx_cpymem(args, "return_to=", sizeof("return_to=") - 1);
        kot_url_escape((char *) p, (char *) h->return_to.data,
                       h->return_to.len);

    } else {
        args = ngx_pnalloc(h->r->pool, h->r->args.len + 1);
        if (args == NULL) {
            return NULL;
        }

        n = kot_lang_args((char *) h->r->args.data, h->r->args.len,
                          (char *) args);
    }
    alen = kot_html_escape_len((char *) args, n);

    buf = ngx_pnalloc(h->r->pool, 2 * alen + 512);
    if (buf == NULL) {
        return NULL;
    }

    p = ngx_sprintf(buf, "<nav class=\"kot-lang\" aria-label=\"%s\">",
                    ngx_http_kot_texts[NGX_HTTP_KOT_T_LANGUAGE][h->lang]);

    for (l = 0; l < 2; l++) {
        if (l == h->lang) {
            p = ngx_sprintf(p, "<span aria-current=\"true\">%s</span>",
                            label[l]);
            continue;
        }

        p = ngx_cpymem(p, "<a href=\"?", sizeof("<a href=\"?") - 1);
        p += kot_html_escape((char *) p, (char *) args, n);
        p = ngx_sprintf(p, "%slang=%s\" hreflang=\"%s\" lang=\"%s\">%s</a>",
                        n ? "&amp;" : "", code[l], code[l], code[l],
                        label[l]);
    }

    p = ngx_cpymem(p, "</nav>\n", sizeof("</nav>\n") - 1);

    *len = p - buf;

    return buf;
}


/*
 * Sends a complete response.  Everything here is about one user: no
 * cache may keep it, and no browser may guess another type.
 */

static ngx_int_t
ngx_http_kot_send(ngx_http_request_t *r, ngx_uint_t status, const char *type,
    u_char *body, size_t len)
{
    ngx_int_t    rc;
    ngx_buf_t   *b;
    ngx_chain_t  out;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    if (ngx_http_kot_add_header(r, "Cache-Control", (u_char *) "no-store", 8)
        != NGX_OK
        || ngx_http_kot_add_header(r, "X-Content-Type-Options",
                                   (u_char *) "nosniff", 7)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = status;
    r->headers_out.content_type.data = (u_char *) type;
    r->headers_out.content_type.len = ngx_strlen(type);
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_length_n = len;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    if (len == 0) {
        return ngx_http_send_special(r, NGX_HTTP_LAST);
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body;
    b->last = body + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* nginx's 405, with the Allow header it must carry */

ngx_int_t
ngx_http_kot_not_allowed(ngx_http_request_t *r, const char *allow)
{
    if (ngx_http_kot_add_header(r, "Allow", (u_char *) allow,
                                ngx_strlen(allow))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_HTTP_NOT_ALLOWED;
}


ngx_int_t
ngx_http_kot_add_header(ngx_http_request_t *r, const char *name,
    u_char *value, size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value.data = value;
    h->value.len = len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_kot_retry_after(ngx_http_request_t *r, ngx_uint_t seconds)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_kot_add_header(r, "Retry-After", p,
                                   ngx_sprintf(p, "%ui", seconds) - p);
}


/* name is lower case */

ngx_table_elt_t *
ngx_http_kot_header_in(ngx_http_request_t *r, const char *name, size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncmp(h[i].lowcase_key, name, len) == 0)
        {
            return &h[i];
        }
    }
}


/*
 * kot_portal_templates DIR: the look of the portal's pages from
 * DIR/layout.html, DIR/values and DIR/style.css, each optional; what a
 * file does not give is the built-in look's.
 */

char *
ngx_http_kot_portal_templates(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_loc_conf_t  *klcf = conf;

    char                 *rv;
    unsigned              line;
    ngx_int_t             has_layout, has_values, has_style;
    ngx_str_t            *value, path, layout, values, style;
    ngx_http_kot_look_t  *look;
    u_char                err[256];

    if (klcf->look != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_conf_full_name(cf->cycle, &value[1], 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    look = ngx_pcalloc(cf->pool, sizeof(ngx_http_kot_look_t));
    if (look == NULL) {
        return NGX_CONF_ERROR;
    }

    has_values = ngx_http_kot_look_read(cf, &value[1], "values", &path,
                                        &values);
    if (has_values == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    if (has_values == NGX_OK
        && kot_tmpl_vars_parse((char *) values.data, values.len,
                               &look->vars, &line, (char *) err, sizeof(err))
           != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_portal_templates: %V:%ud: %s", &path, line,
                           err);
        return NGX_CONF_ERROR;
    }

    has_layout = ngx_http_kot_look_read(cf, &value[1], "layout.html", &path,
                                        &layout);
    if (has_layout == NGX_ERROR) {
        kot_tmpl_vars_free(&look->vars);
        return NGX_CONF_ERROR;
    }

    if (has_layout != NGX_OK) {
        ngx_str_set(&path, "(built-in layout)");
        layout.data = (u_char *) ngx_http_kot_layout;
        layout.len = sizeof(ngx_http_kot_layout) - 1;
    }

    rv = ngx_http_kot_look_parse(cf, look, &path, &layout);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    has_style = ngx_http_kot_look_read(cf, &value[1], "style.css", &path,
                                       &style);
    if (has_style == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    if (has_layout != NGX_OK && has_values != NGX_OK && has_style != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_portal_templates: \"%V\" has none of "
                           "layout.html, values and style.css; see "
                           "conf/portal-templates/ for a sample", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (has_style == NGX_OK
        && (ngx_strlcasestrn(style.data, style.data + style.len,
                             (u_char *) "</style", 7 - 1)
            != NULL))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "kot_portal_templates: %V "
                           "must not contain \"</style\"", &path);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_kot_look_style(cf, look,
                                has_style == NGX_OK ? &style : NULL)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    klcf->look = look;

    return NGX_CONF_OK;
}


/* The built-in look, made as a look from files would be. */

ngx_http_kot_look_t *
ngx_http_kot_look_default(ngx_conf_t *cf)
{
    ngx_str_t             path, layout;
    ngx_http_kot_look_t  *look;

    look = ngx_pcalloc(cf->pool, sizeof(ngx_http_kot_look_t));
    if (look == NULL) {
        return NULL;
    }

    ngx_str_set(&path, "(built-in layout)");
    layout.data = (u_char *) ngx_http_kot_layout;
    layout.len = sizeof(ngx_http_kot_layout) - 1;

    if (ngx_http_kot_look_parse(cf, look, &path, &layout) != NGX_CONF_OK
        || ngx_http_kot_look_style(cf, look, NULL) != NGX_OK)
    {
        return NULL;
    }

    return look;
}


/* name's value in lang: the values file's, else the built-in one. */

static void
ngx_http_kot_look_value(ngx_http_kot_look_t *look, const char *name,
    kot_lang_t lang, ngx_str_t *out)
{
    ngx_uint_t             i;
    const kot_tmpl_var_t  *v;

    v = kot_tmpl_vars_get(&look->vars, name, lang);

    if (v) {
        out->data = (u_char *) v->value;
        out->len = v->len;
        return;
    }

    ngx_str_null(out);

    for (i = 0; i < NGX_HTTP_KOT_DEFAULTS_N; i++) {
        if (ngx_strcmp(ngx_http_kot_look_defaults[i][0], name) == 0) {
            out->data = (u_char *) ngx_http_kot_look_defaults[i][1 + lang];
            out->len = ngx_strlen(out->data);
            return;
        }
    }
}


/* DIR/name into out: NGX_OK, NGX_DECLINED if absent, or NGX_ERROR. */

static ngx_int_t
ngx_http_kot_look_read(ngx_conf_t *cf, ngx_str_t *dir, const char *name,
    ngx_str_t *path, ngx_str_t *out)
{
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_err_t        err;
    ngx_file_info_t  fi;

    path->len = dir->len + 1 + ngx_strlen(name);
    path->data = ngx_pnalloc(cf->pool, path->len + 1);
    if (path->data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(path->data, "%V/%s%Z", dir, name);

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        err = ngx_errno;

        if (err == NGX_ENOENT) {
            return NGX_DECLINED;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, err,
                           "kot_portal_templates: %V cannot be opened", path);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR || !ngx_is_file(&fi)
        || ngx_file_size(&fi) > NGX_HTTP_KOT_LOOK_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_portal_templates: %V is not a regular file "
                           "of at most %uz bytes", path,
                           (size_t) NGX_HTTP_KOT_LOOK_MAX);
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    out->len = (size_t) ngx_file_size(&fi);
    out->data = ngx_pnalloc(cf->pool, out->len + 1);

    n = (out->data == NULL) ? -1 : ngx_read_fd(fd, out->data, out->len);

    ngx_close_file(fd);

    if (n < 0 || (size_t) n != out->len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "kot_portal_templates: %V cannot be read", path);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The layout, with the names it may use: the module's, the built-in
 * values' and the values file's own.  {{head}} and {{body}} appear once,
 * outside any section.  The template and values are freed with the
 * configuration.
 */

static char *
ngx_http_kot_look_parse(ngx_conf_t *cf, ngx_http_kot_look_t *look,
    ngx_str_t *path, ngx_str_t *layout)
{
    u_char               err[256];
    unsigned             line;
    ngx_uint_t           i, j, n;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        kot_tmpl_vars_free(&look->vars);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_kot_look_cleanup;
    cln->data = look;

    n = NGX_HTTP_KOT_V_N + NGX_HTTP_KOT_DEFAULTS_N + look->vars.n;

    look->names = ngx_palloc(cf->pool, n * sizeof(char *));
    if (look->names == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < NGX_HTTP_KOT_V_N; i++) {
        look->names[look->nnames++] = ngx_http_kot_page_values[i];
    }

    for (i = 0; i < NGX_HTTP_KOT_DEFAULTS_N; i++) {
        look->names[look->nnames++] = ngx_http_kot_look_defaults[i][0];
    }

    for (i = 0; i < look->vars.n; i++) {
        for (j = 0; j < look->nnames; j++) {
            if (ngx_strcmp(look->names[j], look->vars.vars[i].name) == 0) {
                break;
            }
        }

        if (j < NGX_HTTP_KOT_V_N) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "kot_portal_templates: the values file "
                               "cannot set \"%s\": the module sets it",
                               look->vars.vars[i].name);
            return NGX_CONF_ERROR;
        }

        if (j == look->nnames) {
            look->names[look->nnames++] = look->vars.vars[i].name;
        }
    }

    look->layout = kot_tmpl_parse((char *) layout->data, layout->len,
                                  look->names, look->nnames, &line,
                                  (char *) err, sizeof(err));
    if (look->layout == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_portal_templates: %V:%ud: %s", path, line,
                           err);
        return NGX_CONF_ERROR;
    }

    if (kot_tmpl_uses(look->layout, NGX_HTTP_KOT_V_HEAD) != 1
        || kot_tmpl_uses(look->layout, NGX_HTTP_KOT_V_BODY) != 1)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_portal_templates: %V: {{head}} (inside "
                           "<head>) and {{body}} must each appear once, "
                           "outside any section", path);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * The built-in stylesheet and the look's own after it, and the
 * Content-Security-Policy that allows exactly that text, by its hash.
 */

static ngx_int_t
ngx_http_kot_look_style(ngx_conf_t *cf, ngx_http_kot_look_t *look,
    ngx_str_t *extra)
{
    u_char   md[KOT_MAC_LEN];
    u_char  *p;
    size_t   len;

    static const char  pre[] = "default-src 'none'; style-src 'sha256-";
    static const char  post[] = "='; img-src 'self'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'";

    len = sizeof(ngx_http_kot_style) - 1 + (extra ? 1 + extra->len : 0);

    look->style.data = ngx_pnalloc(cf->pool, len);
    if (look->style.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(look->style.data, ngx_http_kot_style,
                   sizeof(ngx_http_kot_style) - 1);

    if (extra) {
        *p++ = '\n';
        p = ngx_cpymem(p, extra->data, extra->len);
    }

    look->style.len = p - look->style.data;

    if (kot_sha256(look->style.data, look->style.len, md) != 0) {
        return NGX_ERROR;
    }

    look->csp.data = ngx_pnalloc(cf->pool, sizeof(pre) - 1
                                 + kot_b64_encoded_len(sizeof(md))
                                 + sizeof(post) - 1);
    if (look->csp.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(look->csp.data, pre, sizeof(pre) - 1);
    p += kot_b64_encode((char *) p, md, sizeof(md));
    p = ngx_cpymem(p, post, sizeof(post) - 1);

    look->csp.len = p - look->csp.data;

    return NGX_OK;
}


static void
ngx_http_kot_look_cleanup(void *data)
{
    ngx_http_kot_look_t  *look = data;

    kot_tmpl_free(look->layout);
    kot_tmpl_vars_free(&look->vars);
}
