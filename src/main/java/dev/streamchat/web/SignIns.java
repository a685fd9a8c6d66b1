package dev.streamchat.web;

import dev.streamchat.auth.Account;
import dev.streamchat.auth.Accounts;
import dev.streamchat.auth.Secrets;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

/**
 * What signing in and out does to the browser, shared by the sign-in pages and the auth API:
 * every change of who the browser is gets a new session cookie (no fixation), the anonymous
 * session's conversations move into the account (open mode), signing out ends the session on
 * the server and leaves the browser a fresh anonymous one.
 */
final class SignIns {

  private final Accounts accounts;
  private final Sessions sessions;

  SignIns(Accounts accounts, Sessions sessions) {
    this.accounts = accounts;
    this.sessions = sessions;
  }

  Accounts accounts() {
    return accounts;
  }

  /** Opens a session for the account and sets its cookie; a session signed in before is ended. */
  Future<Account> signIn(RoutingContext ctx, Account account) {
    Account before = Sessions.account(ctx);
    String previous = Sessions.sessionDigest(ctx);
    Future<Void> ended = before != null && previous != null ? accounts.logout(previous) : Future.succeededFuture();
    String anonymousOwner = before == null && previous != null ? Sessions.owner(ctx) : null;
    return ended.compose(v -> accounts.openSession(account, anonymousOwner,
            ctx.request().getHeader("User-Agent"), address(ctx)))
        .map(sid -> {
          sessions.setCookie(ctx, sid);
          return account;
        });
  }

  /** Ends the request's signed-in session, if any, and gives the browser a new anonymous one. */
  Future<Void> signOut(RoutingContext ctx) {
    String session = Sessions.sessionDigest(ctx);
    Future<Void> ended = Sessions.account(ctx) != null && session != null ? accounts.logout(session) : Future.succeededFuture();
    // map, not onSuccess: the caller ends the response when the returned future completes,
    // which must be after the new cookie is set (ended may complete on a database thread).
    return ended.map(v -> {
      if (session != null) sessions.setCookie(ctx, Secrets.random());
      return v;
    });
  }

  /**
   * The client's address for throttling: the socket's, or, when the socket is a trusted proxy,
   * the last address it appended to {@code X-Forwarded-For}.
   */
  String address(RoutingContext ctx) {
    String remote = ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().host();
    String forwarded = ctx.request().getHeader("X-Forwarded-For");
    if (forwarded != null && accounts.settings().trustedProxies().contains(remote)) {
      String[] hops = forwarded.split(",");
      String last = hops[hops.length - 1].strip();
      if (!last.isEmpty() && last.length() <= 64) return last;
    }
    return remote;
  }
}
