package dev.streamchat.auth;

/** Local event-bus messages about accounts, for the parts that hold per-owner state. */
public final class AuthEvents {

  /**
   * Published when an operator disables a user; the body is the user's owner id (a String).
   * Whatever serves that owner (open event streams) must end it at once.
   */
  public static final String DISABLED = "auth.disabled";

  private AuthEvents() {
  }
}
