package dev.streamchat.web;

import dev.streamchat.chat.ChatService;
import dev.streamchat.chat.Conversation;
import dev.streamchat.chat.HistoryWindow;
import dev.streamchat.chat.Message;
import dev.streamchat.model.ModelInfo;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The chat page and the htmx fragments it asks for. A page render shows a running answer's text
 * so far and connects its stream after the last chunk rendered.
 */
final class PageRoutes {

  private static final int SIDEBAR_LIMIT = 200;

  private final Vertx vertx;
  private final ChatService chat;
  private final Views views;
  private final Csrf csrf;

  PageRoutes(Vertx vertx, ChatService chat, Views views, Csrf csrf) {
    this.vertx = vertx;
    this.chat = chat;
    this.views = views;
    this.csrf = csrf;
  }

  void mount(Router router) {
    router.get("/").handler(this::home);
    router.get("/c/:id").handler(this::conversationPage);
    router.post("/chat").handler(this::startChat);
    router.post("/c/:id/messages").handler(this::sendMessage);
    router.post("/c/:id/retry").handler(this::retry);
    router.post("/g/:gid/stop").handler(this::stop);
    router.get("/g/:gid/stream").handler(this::stream);
  }

  private void home(RoutingContext ctx) {
    renderPage(ctx, null, List.of());
  }

  private void conversationPage(RoutingContext ctx) {
    String owner = Sessions.owner(ctx);
    chat.conversation(owner, ctx.pathParam("id"))
        .compose(c -> chat.store().messages(c.id()).compose(ms -> views(owner, ms))
            .onSuccess(ms -> renderPage(ctx, c, ms)))
        .onFailure(ctx::fail);
  }

  private Future<List<MessageView>> views(String owner, List<Message> messages) {
    List<Future<MessageView>> out = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      Message m = messages.get(i);
      boolean trimmed = m.isAssistant() && historyTrimmed(messages, i);
      boolean last = i == messages.size() - 1;
      if (!m.isAssistant()) {
        out.add(Future.succeededFuture(MessageView.user(m.content())));
      } else if ("running".equals(m.state())) {
        out.add(chat.generation(owner, m.generationId()).map(MessageView::answer)
            .otherwise(MessageView.saved(m)).map(v -> v.withContext(trimmed, last)));
      } else {
        out.add(Future.succeededFuture(MessageView.saved(m).withContext(trimmed, last)));
      }
    }
    return Future.all(out).map(all -> all.list());
  }

  /** Whether the answer at {@code index} was asked with older turns left out (by today's budget). */
  private boolean historyTrimmed(List<Message> messages, int index) {
    return chat.history().fit(HistoryWindow.turns(messages.subList(0, index))).dropped() > 0;
  }

  private void renderPage(RoutingContext ctx, Conversation conversation, List<MessageView> messages) {
    chat.store().conversations(Sessions.owner(ctx), SIDEBAR_LIMIT).map(sidebar -> {
      List<ModelInfo> models = chat.models().models();
      String selected = conversation != null && chat.models().resolve(conversation.model()).isPresent()
          ? conversation.model() : chat.models().defaultModel();
      Map<String, Object> vars = new HashMap<>();
      vars.put("conversation", conversation);
      vars.put("conversations", sidebar);
      vars.put("messages", messages);
      vars.put("models", models);
      vars.put("selectedModel", selected);
      vars.put("demoOnly", chat.models().demoOnly());
      vars.put("csrf", csrf.token(Sessions.owner(ctx)));
      return views.page(Views.CHAT, vars);
    }).onSuccess(page -> html(ctx, 200, page)).onFailure(ctx::fail);
  }

  /** The first message of a new chat: make the conversation, then show its page. */
  private void startChat(RoutingContext ctx) {
    String owner = Sessions.owner(ctx);
    String content = ctx.request().getFormAttribute("content");
    String model = blankToNull(ctx.request().getFormAttribute("model"));
    chat.create(owner, null)
        .compose(c -> chat.send(owner, c.id(), content, model, null)
            .recover(err -> chat.store().deleteConversation(owner, c.id()).transform(v -> Future.failedFuture(err)))
            .map(gid -> c))
        .onSuccess(c -> redirect(ctx, "/c/" + c.id()))
        .onFailure(ctx::fail);
  }

  private void sendMessage(RoutingContext ctx) {
    String owner = Sessions.owner(ctx);
    String id = ctx.pathParam("id");
    String content = ctx.request().getFormAttribute("content");
    String model = blankToNull(ctx.request().getFormAttribute("model"));
    chat.send(owner, id, content, model, null)
        .compose(gid -> chat.generation(owner, gid))
        .compose(log -> chat.store().messages(id).map(ms -> MessageView.answer(log)
            .withContext(historyTrimmed(ms, ms.size() - 1), true)))
        .map(answer -> views.fragment(Views.CHAT, "user", Map.of("m", MessageView.user(content.strip())))
            + views.fragment(Views.CHAT, "assistant", Map.of("m", answer)))
        .onSuccess(fragments -> {
          if (isHtmx(ctx)) html(ctx, 200, fragments);
          else redirect(ctx, "/c/" + id);
        })
        .onFailure(ctx::fail);
  }

  /** The Retry button of a failed answer: the last message is sent again, then the page shows it. */
  private void retry(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    chat.retry(Sessions.owner(ctx), id)
        .onSuccess(gid -> redirect(ctx, "/c/" + id))
        .onFailure(ctx::fail);
  }

  private void stop(RoutingContext ctx) {
    chat.stop(Sessions.owner(ctx), ctx.pathParam("gid"))
        .onSuccess(state -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private void stream(RoutingContext ctx) {
    long cursor = Http.cursor(ctx);
    String gid = ctx.pathParam("gid");
    chat.generation(Sessions.owner(ctx), gid).onComplete(ar -> {
      if (ar.failed()) ctx.fail(ar.cause());
      else SseStream.serve(vertx, ctx, chat.quotas(), ar.result(), cursor, views.pageEvents(gid));
    });
  }

  static boolean isHtmx(RoutingContext ctx) {
    return "true".equals(ctx.request().getHeader("HX-Request"));
  }

  private static void redirect(RoutingContext ctx, String path) {
    if (isHtmx(ctx)) {
      ctx.response().putHeader("HX-Redirect", path).setStatusCode(204).end();
    } else {
      ctx.response().putHeader("Location", path).setStatusCode(303).end();
    }
  }

  static void html(RoutingContext ctx, int status, String body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "text/html; charset=utf-8").end(body);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
