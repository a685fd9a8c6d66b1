package dev.streamchat.web;

import dev.streamchat.auth.Account;
import dev.streamchat.auth.Accounts;
import dev.streamchat.auth.ApiToken;
import dev.streamchat.chat.Problem;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** The accounts API under /api/auth: sign up, in and out, who am I, password, personal API tokens. */
final class AuthApiRoutes {

  private final SignIns signIns;
  private final Accounts accounts;

  AuthApiRoutes(SignIns signIns) {
    this.signIns = signIns;
    this.accounts = signIns.accounts();
  }

  void mount(Router router) {
    router.post("/api/auth/signup").handler(this::signup);
    router.post("/api/auth/login").handler(this::login);
    router.post("/api/auth/logout").handler(ctx -> signIns.signOut(ctx)
        .onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(ctx::fail));
    router.post("/api/auth/logout-everywhere").handler(signedIn((ctx, a) -> accounts.logoutEverywhere(a)
        .onSuccess(n -> ctx.response().setStatusCode(204).end()).onFailure(ctx::fail)));
    router.get("/api/auth/me").handler(signedIn((ctx, a) -> Http.json(ctx, 200, me(a))));
    router.put("/api/auth/password").handler(signedIn(this::changePassword));
    router.post("/api/auth/tokens").handler(signedIn(this::createToken));
    router.get("/api/auth/tokens").handler(signedIn((ctx, a) -> ApiRoutes.reply(ctx, accounts.tokens(a), 200, list -> {
      JsonArray out = new JsonArray();
      list.forEach(t -> out.add(token(t)));
      return out;
    })));
    router.delete("/api/auth/tokens/:id").handler(signedIn((ctx, a) -> accounts.revokeToken(a, ctx.pathParam("id"))
        .onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(ctx::fail)));
  }

  /** A handler for a signed-in account; anyone else gets 401. */
  static io.vertx.core.Handler<RoutingContext> signedIn(java.util.function.BiConsumer<RoutingContext, Account> handler) {
    return ctx -> {
      Account a = Sessions.account(ctx);
      if (a == null) ctx.fail(new Problem(401, "Sign in first."));
      else handler.accept(ctx, a);
    };
  }

  private void signup(RoutingContext ctx) {
    JsonObject body = Http.jsonBody(ctx);
    Future<Account> made = accounts.signup(Http.string(body, "username"), Http.string(body, "password"),
        Http.string(body, "invite")).compose(a -> signIns.signIn(ctx, a));
    ApiRoutes.reply(ctx, made, 201, this::me);
  }

  private void login(RoutingContext ctx) {
    JsonObject body = Http.jsonBody(ctx);
    Future<Account> in = accounts.login(Http.string(body, "username"), Http.string(body, "password"),
        signIns.address(ctx)).compose(a -> signIns.signIn(ctx, a));
    ApiRoutes.reply(ctx, in, 200, this::me);
  }

  private void changePassword(RoutingContext ctx, Account a) {
    JsonObject body = Http.jsonBody(ctx);
    accounts.changePassword(a, Sessions.sessionDigest(ctx), Http.string(body, "current"), Http.string(body, "password"),
        signIns.address(ctx)).onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(ctx::fail);
  }

  private void createToken(RoutingContext ctx, Account a) {
    String name = Http.string(Http.jsonBody(ctx), "name");
    ApiRoutes.reply(ctx, accounts.createToken(a, name), 201,
        t -> token(t.token()).put("token", t.secret()));
  }

  private JsonObject me(Account a) {
    return new JsonObject().put("id", a.id()).put("username", a.username()).put("mode", accounts.settings().modeName());
  }

  private static JsonObject token(ApiToken t) {
    return new JsonObject().put("id", t.id()).put("name", t.name()).put("createdAt", t.createdAt())
        .put("lastUsedAt", t.lastUsedAt());
  }
}
