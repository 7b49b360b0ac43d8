/*
 * Unit tests of kot_ua: a device in words from real User-Agent headers,
 * and stored forms that name nothing known.
 */

#include <string.h>

#include "tap.h"
#include "kot_ua.h"


static const char *
words(const char *ua, kot_lang_t lang)
{
    size_t       n;
    char         stored[KOT_DEVICE_MAX];
    static char  buf[KOT_DEVICE_WORDS_MAX];

    n = kot_ua_device(ua, strlen(ua), stored);
    kot_device_words(stored, n, lang, buf);

    return buf;
}


int
main(void)
{
    size_t  i;
    char    buf[KOT_DEVICE_WORDS_MAX];
    static const char  *cases[][3] = {
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
          "Chrome on Windows", "WindowsのChrome" },
        { "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 "
          "Edg/120.0.2210.91", "Edge on Windows", "WindowsのEdge" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
          "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
          "Mobile/15E148 Safari/604.1", "Safari on iPhone", "iPhoneのSafari" },
        { "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
          "AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 "
          "Mobile/15E148 Safari/604.1", "Chrome on iPhone", "iPhoneのChrome" },
        { "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.2 Safari/605.1.15",
          "Safari on macOS", "macOSのSafari" },
        { "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 "
          "Firefox/121.0", "Firefox on Linux", "LinuxのFirefox" },
        { "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 "
          "(KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile "
          "Safari/537.36", "Samsung Internet on Android",
          "AndroidのSamsung Internet" },
        { "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
          "Chrome on ChromeOS", "ChromeOSのChrome" },
        { "curl/7.88.1", "curl", "curl" },
        { "Mozilla/5.0 (Linux; Android 14)", "A browser on Android",
          "Androidのブラウザー" },
        { "KotTest", "Unknown device", "不明な端末" },
        { "", "Unknown device", "不明な端末" },
        { "<script>alert(1)</script>", "Unknown device", "不明な端末" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_str(words(cases[i][0], KOT_LANG_EN), cases[i][1],
               "en: %.40s", cases[i][0]);
        is_str(words(cases[i][0], KOT_LANG_JA), cases[i][2],
               "ja: %.40s", cases[i][0]);
    }

    /* a stored form is read back only through the tables */
    kot_device_words("<b>;Windows", 11, KOT_LANG_EN, buf);
    is_str(buf, "A browser on Windows", "an unknown browser is not shown");
    kot_device_words("Chrome", 6, KOT_LANG_EN, buf);
    is_str(buf, "Unknown device", "a form without ';' is unknown");
    kot_device_words("Chrome;Windows;x", 16, KOT_LANG_EN, buf);
    is_str(buf, "Chrome", "nor a system that is not one");

    return done_testing();
}
