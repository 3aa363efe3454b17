#pragma once

#include "kube/client_config.hpp"
#include "kube/proxy.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace kq::kube {

// When a JWT expires: its `exp` claim; the epoch when it has none, so that it counts as expired, as
// kubectl's oidc plugin counts it. Throws kq::Error (cluster) naming `owner` when `token` is no JWT.
std::chrono::system_clock::time_point jwt_expiry(std::string_view token, const std::string& owner);

// An oidc id-token is used while it expires more than this far ahead, as kubectl's plugin does.
inline constexpr std::chrono::seconds k_oidc_expiry_margin{10};

// What the identity provider's token endpoint gave for a refresh token.
struct OidcTokens {
    std::string id_token;
    std::string refresh_token; // the new refresh token, or the old one when none was returned
};

// Refreshes an oidc user's tokens as kubectl does: finds the token endpoint through OIDC discovery
// (idp-issuer-url + /.well-known/openid-configuration), then posts grant_type=refresh_token with the
// client's id and secret. Throws kq::Error (cluster) naming the user and what failed; never the tokens.
OidcTokens refresh_oidc_tokens(const OidcConfig& oidc, const std::string& user,
                               const ProxyEnvironment& proxy);

// A kubeconfig's text with the id-token and refresh-token of `user`'s oidc auth-provider replaced (or
// added to its config), everything else left as written: comments, order, quoting, other entries.
// Throws kq::Error (cluster) when the file does not define that user's oidc auth-provider, or when the
// values can't be replaced without changing anything else.
std::string rewrite_oidc_tokens(std::string_view text, const std::string& path, const std::string& user,
                                const OidcTokens& tokens);

// Writes refreshed tokens into the kubeconfig file that defined the user, as kubectl's persister does:
// through a temporary file in the same folder renamed over it, with the file's mode kept.
void persist_oidc_tokens(const std::string& path, const std::string& user, const OidcTokens& tokens);

} // namespace kq::kube
