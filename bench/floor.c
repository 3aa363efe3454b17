/* bench/floor: the least a libcurl client of the API server costs: one HTTPS GET and nothing else.
 *
 *   floor URL CA_FILE CERT_FILE KEY_FILE
 *   floor --version
 *
 * Calls curl_global_init(CURL_GLOBAL_DEFAULT), then makes one GET of URL (bench/run passes the API
 * server's /version) over HTTP/2 with TLS (CURL_HTTP_VERSION_2TLS), verifying the server with
 * CA_FILE and authenticating with the client certificate CERT_FILE and its key KEY_FILE, the
 * credentials kq uses against the test control plane (kq hands them to libcurl as blobs). The body
 * is read and discarded. bench/run measures this program like kq: its peak RSS and time are the
 * floor under any client built on the same libcurl, whatever it does beyond that one request. On
 * success it prints the protocol used to stderr. With --version it prints curl_version() and exits:
 * with Debian's libcurl 7.88.1 that call alone added about 1 MiB to the peak RSS, so the measured
 * run never makes it. Exit status: 0 when the request got a 200 answer; 1 when it failed or got
 * another status (so a failure is never measured as a floor); 2 on a usage error. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

static size_t discard(char* data, size_t size, size_t count, void* user) {
    (void)data;
    (void)user;
    return size * count;
}

int main(int argc, char** argv) {
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("%s\n", curl_version());
        return 0;
    }
    if (argc != 5) {
        fprintf(stderr, "usage: floor URL CA_FILE CERT_FILE KEY_FILE | floor --version\n");
        return 2;
    }
    CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK) {
        fprintf(stderr, "floor: curl_global_init: %s\n", curl_easy_strerror(code));
        return 1;
    }
    CURL* curl = curl_easy_init();
    if (!curl) {
        fprintf(stderr, "floor: curl_easy_init failed\n");
        curl_global_cleanup();
        return 1;
    }
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_URL, argv[1]);
    curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(curl, CURLOPT_CAINFO, argv[2]);
    curl_easy_setopt(curl, CURLOPT_SSLCERT, argv[3]);
    curl_easy_setopt(curl, CURLOPT_SSLKEY, argv[4]);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    code = curl_easy_perform(curl);
    long status = 0;
    long version = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(curl, CURLINFO_HTTP_VERSION, &version);
    curl_easy_cleanup(curl);
    int failed = 1;
    if (code != CURLE_OK) {
        fprintf(stderr, "floor: GET %s: %s\n", argv[1], error[0] ? error : curl_easy_strerror(code));
    } else if (status != 200) {
        fprintf(stderr, "floor: GET %s: HTTP status %ld\n", argv[1], status);
    } else {
        /* On stderr for bench/run, which checks the protocol. */
        fprintf(stderr, "floor: GET %s: 200 over HTTP/%s\n", argv[1],
                version == CURL_HTTP_VERSION_2_0 ? "2" : "1.1");
        failed = 0;
    }
    curl_global_cleanup();
    return failed;
}
