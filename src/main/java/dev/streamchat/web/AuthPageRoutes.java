package dev.streamchat.web;

import dev.streamchat.auth.Account;
import dev.streamchat.auth.Accounts;
import dev.streamchat.auth.AuthSettings;
import dev.streamchat.chat.Problem;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.Map;

/**
 * The sign-in, sign-up and account pages: plain forms that work without script. A refused form
 * comes back as its page with the reason (and the status, with {@code Retry-After} when throttled).
 */
final class AuthPageRoutes {

  static final String SIGNIN = "templates/signin.html";
  static final String SIGNUP = "templates/signup.html";
  static final String ACCOUNT = "templates/account.html";

  private final SignIns signIns;
  private final Accounts accounts;
  private final Views views;
  private final Csrf csrf;

  AuthPageRoutes(SignIns signIns, Views views, Csrf csrf) {
    this.signIns = signIns;
    this.accounts = signIns.accounts();
    this.views = views;
    this.csrf = csrf;
  }

  void mount(Router router) {
    router.get("/signin").handler(ctx -> {
      if (proxied()) redirect(ctx, "/");
      else signinPage(ctx, 200, null);
    });
    router.post("/signin").handler(this::signin);
    router.get("/signup").handler(ctx -> {
      if (proxied()) redirect(ctx, "/");
      else signupPage(ctx, 200, null);
    });
    router.post("/signup").handler(this::signup);
    router.post("/signout").handler(ctx -> signIns.signOut(ctx).onSuccess(v -> redirect(ctx, afterSignOut()))
        .onFailure(ctx::fail));
    router.get("/account").handler(page((ctx, a) -> accountPage(ctx, a, 200, null, null)));
    router.post("/account/password").handler(page(this::changePassword));
    router.post("/account/signout-everywhere").handler(page((ctx, a) -> accounts.logoutEverywhere(a)
        .compose(n -> signIns.signOut(ctx)).onSuccess(v -> redirect(ctx, afterSignOut())).onFailure(ctx::fail)));
    router.post("/account/tokens").handler(page((ctx, a) -> accounts.createToken(a, ctx.request().getFormAttribute("name"))
        .onSuccess(t -> accountPage(ctx, a, 201, null, t))
        .onFailure(err -> refused(ctx, err, (status, msg) -> accountPage(ctx, a, status, msg, null)))));
    router.post("/account/tokens/:id/revoke").handler(page((ctx, a) -> accounts.revokeToken(a, ctx.pathParam("id"))
        .onSuccess(v -> redirect(ctx, "/account")).onFailure(ctx::fail)));
  }

  /** An account page: a signed-in person, else the sign-in page. */
  private static io.vertx.core.Handler<RoutingContext> page(java.util.function.BiConsumer<RoutingContext, Account> handler) {
    return ctx -> {
      Account a = Sessions.account(ctx);
      if (a != null) handler.accept(ctx, a);
      else redirect(ctx, "/signin");
    };
  }

  /** In proxy mode the proxy signs people in: there are no sign-in or sign-up pages. */
  private boolean proxied() {
    return accounts.settings().mode() == AuthSettings.Mode.PROXY;
  }

  private String afterSignOut() {
    return accounts.settings().mode() == AuthSettings.Mode.OPEN ? "/" : "/signin";
  }

  private void signin(RoutingContext ctx) {
    String username = ctx.request().getFormAttribute("username");
    accounts.login(username, ctx.request().getFormAttribute("password"), signIns.address(ctx))
        .compose(a -> signIns.signIn(ctx, a))
        .onSuccess(a -> redirect(ctx, "/"))
        .onFailure(err -> refused(ctx, err, (status, msg) -> signinPage(ctx, status, msg)));
  }

  private void signup(RoutingContext ctx) {
    accounts.signup(ctx.request().getFormAttribute("username"), ctx.request().getFormAttribute("password"),
            ctx.request().getFormAttribute("invite"))
        .compose(a -> signIns.signIn(ctx, a))
        .onSuccess(a -> redirect(ctx, "/"))
        .onFailure(err -> refused(ctx, err, (status, msg) -> signupPage(ctx, status, msg)));
  }

  private void changePassword(RoutingContext ctx, Account a) {
    String next = ctx.request().getFormAttribute("password");
    if (next != null && !next.equals(ctx.request().getFormAttribute("confirm"))) {
      accountPage(ctx, a, 400, "The new passwords differ.", null);
      return;
    }
    accounts.changePassword(a, Sessions.sessionDigest(ctx), ctx.request().getFormAttribute("current"), next,
            signIns.address(ctx))
        .onSuccess(v -> accountPage(ctx, a, 200, "Password changed; your other sessions were signed out.", null))
        .onFailure(err -> refused(ctx, err, (status, msg) -> accountPage(ctx, a, status, msg, null)));
  }

  /** A refusal goes back to the form with its reason; anything else is the error handler's. */
  private static void refused(RoutingContext ctx, Throwable err, java.util.function.BiConsumer<Integer, String> form) {
    if (err instanceof Problem p) {
      if (p.retryAfterSeconds() > 0) ctx.response().putHeader("Retry-After", String.valueOf(p.retryAfterSeconds()));
      form.accept(p.status(), p.getMessage());
    } else {
      ctx.fail(err);
    }
  }

  private Map<String, Object> vars(RoutingContext ctx, String message) {
    Map<String, Object> vars = new HashMap<>();
    vars.put("csrf", csrf.token(ctx));
    vars.put("message", message);
    vars.put("mode", accounts.settings().modeName());
    vars.put("signupAllowed", accounts.signupAllowed());
    vars.put("invitesRequired", accounts.invitesRequired());
    vars.put("account", Sessions.account(ctx));
    return vars;
  }

  private void signinPage(RoutingContext ctx, int status, String message) {
    PageRoutes.html(ctx, status, views.page(SIGNIN, vars(ctx, message)));
  }

  private void signupPage(RoutingContext ctx, int status, String message) {
    Map<String, Object> vars = vars(ctx, message);
    String invite = ctx.request().getParam("invite");
    if (invite == null) invite = ctx.request().getFormAttribute("invite");
    vars.put("invite", invite != null && invite.length() <= 100 ? invite : null);
    PageRoutes.html(ctx, status, views.page(SIGNUP, vars));
  }

  /** The account page; {@code newToken} (just made) is the only time a token's secret is shown. */
  private void accountPage(RoutingContext ctx, Account a, int status, String message, Accounts.NewToken newToken) {
    Future.all(accounts.sessions(a), accounts.tokens(a)).onSuccess(both -> {
      Map<String, Object> vars = vars(ctx, message);
      vars.put("sessions", AccountRows.sessions(both.resultAt(0), Sessions.sessionDigest(ctx)));
      vars.put("tokens", AccountRows.tokens(both.resultAt(1)));
      vars.put("newToken", newToken);
      vars.put("hasPassword", !proxied());
      ctx.response().putHeader("Cache-Control", "no-store");
      PageRoutes.html(ctx, status, views.page(ACCOUNT, vars));
    }).onFailure(ctx::fail);
  }

  private static void redirect(RoutingContext ctx, String path) {
    ctx.response().putHeader("Location", path).setStatusCode(303).end();
  }
}
