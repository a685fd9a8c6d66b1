package dev.streamchat.auth;

import java.util.Optional;

/** Who may use the server, as the operator configured it (see app/Config). */
public record AuthSettings(Mode mode, Signup signup, Optional<String> proxyHeader, TrustedProxies trustedProxies) {

  /** STREAMCHAT_AUTH. */
  public enum Mode {
    /** Anonymous sessions work; anyone may also make an account and sign in. */
    OPEN,
    /** Signing in is required for everything but the sign-in pages, health and static files. */
    ACCOUNTS,
    /** An authenticating proxy names the user in a header; nothing else gets in. */
    PROXY
  }

  /** STREAMCHAT_SIGNUP: who may make an account (open and accounts modes). */
  public enum Signup {
    OPEN, INVITE, CLOSED
  }

  /** The value a page or the API shows for the mode. */
  public String modeName() {
    return mode.name().toLowerCase(java.util.Locale.ROOT);
  }
}
