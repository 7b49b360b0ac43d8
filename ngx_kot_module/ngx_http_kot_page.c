
/*
 * ngx_kot: what users see: the portal pages in Japanese and English, and
 * the short answers of protected locations (redirect, 401 JSON, 503).
 *
 * Pages carry no script; the one stylesheet is inline and allowed by its
 * hash in Content-Security-Policy.  Every value from a request is escaped.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"
#include "kot_b64.h"
#include "kot_text.h"


typedef struct {
    ngx_http_request_t   *r;
    ngx_array_t           parts;        /* of ngx_str_t */
    size_t                len;
    kot_lang_t            lang;
    ngx_uint_t            failed;
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
      "ログインサービスが混み合っています。しばらくしてから再度お試しください。" },
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
      "パスワードの有効期限が切れました。新しいパスワードを設定してください。" },
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
};


static const char  ngx_http_kot_style[] =
    "body{font-family:system-ui,\"Hiragino Sans\",\"Noto Sans JP\","
    "sans-serif;background:#f4f5f7;color:#1d2330;margin:0}"
    "main{max-width:24rem;margin:12vh auto;background:#fff;padding:2rem;"
    "border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12)}"
    "h1{font-size:1.4rem;margin:0 0 1.2rem}"
    "label{display:block;margin:.9rem 0 .3rem;font-size:.9rem}"
    "input{box-sizing:border-box;width:100%;padding:.55rem;font-size:1rem;"
    "border:1px solid #b8bfcc;border-radius:4px}"
    "button{margin-top:1.4rem;width:100%;padding:.65rem;font-size:1rem;"
    "border:0;border-radius:4px;background:#1f5fbf;color:#fff;"
    "cursor:pointer}"
    ".msg{padding:.7rem;border-radius:4px;background:#fdecea;"
    "color:#8a1c12;font-size:.9rem}"
    ".info{background:#e8f1fd;color:#123e7a}"
    "h2{font-size:1.1rem;margin:1.8rem 0 .6rem}"
    ".kot-qr{display:block;margin:1rem auto;max-width:100%;height:auto}"
    "code,.codes{font-family:ui-monospace,monospace;font-size:1rem}"
    "code{word-break:break-all}"
    ".codes{columns:2;padding-left:1.4rem}";


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
static void ngx_http_kot_html_msgs(ngx_http_kot_html_t *h,
    ngx_http_kot_page_t *p);
static void ngx_http_kot_html_form(ngx_http_kot_html_t *h,
    ngx_http_kot_page_t *p);
static void ngx_http_kot_html_input(ngx_http_kot_html_t *h,
    ngx_http_kot_text_e label, const char *name, const char *attrs,
    ngx_str_t *value);
static ngx_int_t ngx_http_kot_html_submit(ngx_http_kot_html_t *h,
    ngx_http_kot_text_e button, ngx_uint_t status);
static void ngx_http_kot_html_button(ngx_http_kot_html_t *h,
    ngx_http_kot_text_e button);
static void ngx_http_kot_html_hidden(ngx_http_kot_html_t *h,
    const char *name, const char *value);
static void ngx_http_kot_html_mfa_status(ngx_http_kot_html_t *h,
    ngx_http_kot_mfa_view_t *v);
static void ngx_http_kot_html_mfa_setup(ngx_http_kot_html_t *h,
    ngx_http_kot_page_t *p, ngx_http_kot_mfa_view_t *v);
static ngx_int_t ngx_http_kot_html_send(ngx_http_kot_html_t *h,
    ngx_uint_t status);
static ngx_int_t ngx_http_kot_send(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, u_char *body, size_t len);
static ngx_int_t ngx_http_kot_retry_after(ngx_http_request_t *r,
    ngx_uint_t seconds);
static ngx_str_t *ngx_http_kot_csp(void);


ngx_int_t
ngx_http_kot_page_login(ngx_http_request_t *r, ngx_http_kot_page_t *p)
{
    ngx_http_kot_html_t  h;

    ngx_http_kot_html_init(r, &h);
    ngx_http_kot_html_head(&h, NGX_HTTP_KOT_T_LOGIN);
    ngx_http_kot_html_msgs(&h, p);
    ngx_http_kot_html_form(&h, p);

    if (p->ask_tenant) {
        ngx_http_kot_html_input(&h, NGX_HTTP_KOT_T_TENANT, "tenant",
                                "required autocomplete=\"organization\"",
                                NULL);
    }

    ngx_http_kot_html_input(&h, NGX_HTTP_KOT_T_USERNAME, "username",
                            "required autocomplete=\"username\" autofocus",
                            &p->username);
    ngx_http_kot_html_input(&h, NGX_HTTP_KOT_T_PASSWORD, "password",
                            "type=\"password\" required "
                            "autocomplete=\"current-password\"", NULL);

    return ngx_http_kot_html_submit(&h, NGX_HTTP_KOT_T_LOGIN, p->status);
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

    ngx_http_kot_html_input(&h, NGX_HTTP_KOT_T_CURRENT, "current_password",
                            "type=\"password\" required "
                            "autocomplete=\"current-password\" autofocus",
                            NULL);
    ngx_http_kot_html_input(&h, NGX_HTTP_KOT_T_NEW, "new_password",
                            "type=\"password\" required "
                            "autocomplete=\"new-password\"", NULL);
    ngx_http_kot_html_input(&h, NGX_HTTP_KOT_T_CONFIRM, "confirm_password",
                            "type=\"password\" required "
                            "autocomplete=\"new-password\"", NULL);

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

    /* not inputmode="numeric": a recovery code has letters */
    ngx_http_kot_html_input(&h, NGX_HTTP_KOT_T_CODE, "code",
                            "required autocomplete=\"one-time-code\" "
                            "autocapitalize=\"off\" spellcheck=\"false\" "
                            "autofocus", NULL);

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

    if (v->secret.len) {
        ngx_http_kot_html_mfa_setup(&h, p, v);
    }

    if (v->enrolled.len && !v->required) {
        ngx_http_kot_html_raw(&h, "<h2>");
        ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_MFA_REMOVE);
        ngx_http_kot_html_raw(&h, "</h2>\n");
        ngx_http_kot_html_form(&h, p);
        ngx_http_kot_html_hidden(&h, "action", "remove");
        ngx_http_kot_html_raw(&h, "<label for=\"remove-password\">");
        ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_CURRENT);
        ngx_http_kot_html_raw(&h, "</label>\n<input id=\"remove-password\" "
                                  "name=\"password\" type=\"password\" "
                                  "required "
                                  "autocomplete=\"current-password\">\n");
        ngx_http_kot_html_button(&h, NGX_HTTP_KOT_T_MFA_REMOVE_BUTTON);
    }

    ngx_http_kot_html_raw(&h, "</main>\n</body>\n</html>\n");

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
    ngx_http_kot_html_input(h, NGX_HTTP_KOT_T_MFA_APP_CODE, "code",
                            "required inputmode=\"numeric\" "
                            "autocomplete=\"one-time-code\" "
                            "pattern=\"[0-9 ]{6,8}\"", NULL);

    /* replacing what the user has takes the password too */
    if (v->enrolled.len) {
        ngx_http_kot_html_input(h, NGX_HTTP_KOT_T_CURRENT, "password",
                                "type=\"password\" required "
                                "autocomplete=\"current-password\"", NULL);
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

    ngx_http_kot_html_raw(&h, "</ol>\n<p><a href=\"");
    ngx_http_kot_html_text(&h, &p->return_to);
    ngx_http_kot_html_raw(&h, "\">");
    ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_CONTINUE);
    ngx_http_kot_html_raw(&h, "</a></p>\n</main>\n</body>\n</html>\n");

    return ngx_http_kot_html_send(&h, p->status);
}


/* A refusal with nothing to retry on this page. */

ngx_int_t
ngx_http_kot_page_error(ngx_http_request_t *r, ngx_uint_t status,
    ngx_http_kot_msg_t msg, ngx_uint_t num)
{
    ngx_str_t                 back;
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
    ngx_http_kot_html_raw(&h, "<p><a href=\"");
    ngx_http_kot_html_text(&h, &back);
    ngx_http_kot_html_raw(&h, "login\">");
    ngx_http_kot_html_say(&h, NGX_HTTP_KOT_T_BACK);
    ngx_http_kot_html_raw(&h, "</a></p>\n</main>\n</body>\n</html>\n");

    return ngx_http_kot_html_send(&h, status);
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
    ngx_http_kot_html_raw(&h, "</p>\n</main>\n</body>\n</html>\n");

    return ngx_http_kot_html_send(&h, NGX_HTTP_SERVICE_UNAVAILABLE);
}


ngx_int_t
ngx_http_kot_json(ngx_http_request_t *r, ngx_uint_t status,
    const char *error)
{
    u_char  *p, *last;
    size_t   len;

    len = sizeof("{\"error\":\"\"}\n") - 1 + ngx_strlen(error);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = ngx_sprintf(p, "{\"error\":\"%s\"}\n", error);

    return ngx_http_kot_send(r, status, "application/json", p, last - p);
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
 * [&flag=1].  A POST is answered with 303 so that the browser GETs it.
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
        p = ngx_sprintf(p, "%c%s=1", return_to ? '&' : '?', flag);
    }

    location.len = p - location.data;

    return ngx_http_kot_redirect(r, (r->method == NGX_HTTP_POST)
                                    ? NGX_HTTP_SEE_OTHER
                                    : NGX_HTTP_MOVED_TEMPORARILY,
                                 &location);
}


/*
 * A browser navigation, which a login page can help; an API call cannot,
 * nor can a subrequest: its answer goes to another module (auth_request
 * makes any redirect a 500), never to the address bar.
 */

ngx_int_t
ngx_http_kot_is_browser(ngx_http_request_t *r)
{
    ngx_table_elt_t  *accept;

    if (r != r->main || !(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return 0;
    }

    accept = ngx_http_kot_header_in(r, "accept", 6);

    return accept != NULL
           && ngx_strlcasestrn(accept->value.data,
                               accept->value.data + accept->value.len,
                               (u_char *) "text/html", 9 - 1)
              != NULL;
}


kot_lang_t
ngx_http_kot_lang(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

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


static void
ngx_http_kot_html_head(ngx_http_kot_html_t *h, ngx_http_kot_text_e title)
{
    ngx_http_kot_html_raw(h, h->lang == KOT_LANG_JA
                             ? "<!DOCTYPE html>\n<html lang=\"ja\">\n"
                             : "<!DOCTYPE html>\n<html lang=\"en\">\n");
    ngx_http_kot_html_raw(h, "<head>\n<meta charset=\"utf-8\">\n"
                             "<meta name=\"viewport\" content=\""
                             "width=device-width, initial-scale=1\">\n"
                             "<meta name=\"robots\" content=\"noindex\">\n"
                             "<title>");
    ngx_http_kot_html_say(h, title);
    ngx_http_kot_html_raw(h, "</title>\n<style>");
    ngx_http_kot_html_raw(h, ngx_http_kot_style);
    ngx_http_kot_html_raw(h, "</style>\n</head>\n<body>\n<main>\n<h1>");
    ngx_http_kot_html_say(h, title);
    ngx_http_kot_html_raw(h, "</h1>\n");
}


static void
ngx_http_kot_html_msgs(ngx_http_kot_html_t *h, ngx_http_kot_page_t *p)
{
    u_char      *buf, *last;
    size_t       len;
    ngx_uint_t   i;
    ngx_http_kot_msg_t  m;

    for (i = 0; i < p->nmsgs; i++) {
        m = p->msgs[i];

        ngx_http_kot_html_raw(h, (m == NGX_HTTP_KOT_MSG_LOGGED_OUT
                                  || m == NGX_HTTP_KOT_MSG_MFA_REMOVED
                                  || m == NGX_HTTP_KOT_MSG_MFA_ENROLLED)
                                 ? "<p class=\"msg info\" role=\"status\">"
                                 : "<p class=\"msg\" role=\"alert\">");

        /* messages are ours: no escaping, but maybe one number */
        len = ngx_strlen(ngx_http_kot_msgs[m][h->lang]) + NGX_INT_T_LEN;

        buf = ngx_pnalloc(h->r->pool, len);
        if (buf == NULL) {
            h->failed = 1;
            return;
        }

        last = ngx_snprintf(buf, len, ngx_http_kot_msgs[m][h->lang],
                            p->nums[i]);

        ngx_http_kot_html_add(h, buf, last - buf);
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

    if (p->return_to.len) {
        ngx_http_kot_html_raw(h, "<input type=\"hidden\" name=\"return_to\" "
                                 "value=\"");
        ngx_http_kot_html_text(h, &p->return_to);
        ngx_http_kot_html_raw(h, "\">\n");
    }
}


static void
ngx_http_kot_html_input(ngx_http_kot_html_t *h, ngx_http_kot_text_e label,
    const char *name, const char *attrs, ngx_str_t *value)
{
    ngx_http_kot_html_raw(h, "<label for=\"");
    ngx_http_kot_html_raw(h, name);
    ngx_http_kot_html_raw(h, "\">");
    ngx_http_kot_html_say(h, label);
    ngx_http_kot_html_raw(h, "</label>\n<input id=\"");
    ngx_http_kot_html_raw(h, name);
    ngx_http_kot_html_raw(h, "\" name=\"");
    ngx_http_kot_html_raw(h, name);
    ngx_http_kot_html_raw(h, "\" ");
    ngx_http_kot_html_raw(h, attrs);

    if (value && value->len) {
        ngx_http_kot_html_raw(h, " value=\"");
        ngx_http_kot_html_text(h, value);
        ngx_http_kot_html_raw(h, "\"");
    }

    ngx_http_kot_html_raw(h, ">\n");
}


/* The form's button, the end of the page, and the page sent. */

static ngx_int_t
ngx_http_kot_html_submit(ngx_http_kot_html_t *h, ngx_http_kot_text_e button,
    ngx_uint_t status)
{
    ngx_http_kot_html_button(h, button);
    ngx_http_kot_html_raw(h, "</main>\n</body>\n</html>\n");

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


static ngx_int_t
ngx_http_kot_html_send(ngx_http_kot_html_t *h, ngx_uint_t status)
{
    u_char      *body, *p;
    ngx_str_t   *part, *csp;
    ngx_uint_t   i;

    if (h->failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body = ngx_pnalloc(h->r->pool, h->len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = body;
    part = h->parts.elts;

    for (i = 0; i < h->parts.nelts; i++) {
        p = ngx_cpymem(p, part[i].data, part[i].len);
    }

    csp = ngx_http_kot_csp();

    if (csp == NULL
        || ngx_http_kot_add_header(h->r, "Content-Security-Policy",
                                   csp->data, csp->len)
           != NGX_OK
        || ngx_http_kot_add_header(h->r, "X-Frame-Options",
                                   (u_char *) "DENY", 4)
           != NGX_OK
        || ngx_http_kot_add_header(h->r, "Referrer-Policy",
                                   (u_char *) "same-origin", 11)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_send(h->r, status, "text/html; charset=utf-8", body,
                             h->len);
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


/* Computed once per worker: the stylesheet never changes. */

static ngx_str_t *
ngx_http_kot_csp(void)
{
    u_char  md[KOT_MAC_LEN];
    u_char *p;

    static u_char     buf[256];
    static ngx_str_t  csp;

    if (csp.len) {
        return &csp;
    }

    if (kot_sha256(ngx_http_kot_style, sizeof(ngx_http_kot_style) - 1, md)
        != 0)
    {
        return NULL;
    }

    p = ngx_cpymem(buf, "default-src 'none'; style-src 'sha256-",
                   sizeof("default-src 'none'; style-src 'sha256-") - 1);
    p += kot_b64_encode((char *) p, md, sizeof(md));
    p = ngx_cpymem(p, "='; form-action 'self'; frame-ancestors 'none'; "
                      "base-uri 'none'",
                   sizeof("='; form-action 'self'; frame-ancestors 'none'; "
                          "base-uri 'none'") - 1);

    csp.data = buf;
    csp.len = p - buf;

    return &csp;
}
