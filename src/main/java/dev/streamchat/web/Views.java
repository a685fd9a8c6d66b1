package dev.streamchat.web;

import dev.streamchat.stream.FeedView;
import io.vertx.core.Vertx;
import io.vertx.ext.web.templ.thymeleaf.ThymeleafTemplateEngine;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.thymeleaf.TemplateEngine;
import org.thymeleaf.context.Context;

/**
 * Renders the Thymeleaf templates under {@code templates/}: whole pages, and the fragments that
 * go over SSE or answer htmx requests, chosen by selector.
 */
final class Views {

  static final String CHAT = "templates/chat.html";
  static final String ERROR = "templates/error.html";

  private final TemplateEngine engine;
  private final Assets assets;

  Views(Vertx vertx, Assets assets) {
    this.engine = ThymeleafTemplateEngine.create(vertx).unwrap();
    this.assets = assets;
  }

  String page(String template, Map<String, Object> vars) {
    return engine.process(template, context(vars));
  }

  String fragment(String template, String selector, Map<String, Object> vars) {
    return engine.process(template, Set.of(selector), context(vars));
  }

  /** Every template may link to the webroot's files by their fingerprinted URLs: {@code ${assets.url('app.js')}}. */
  private Context context(Map<String, Object> vars) {
    Context ctx = new Context(Locale.ENGLISH);
    ctx.setVariables(vars);
    ctx.setVariable("assets", assets);
    return ctx;
  }

  /**
   * The chat page's events: the answer's Markdown block by block ({@link PageEvents}). One instance
   * per event loop, so the feed renders each event once for all of the loop's page viewers.
   */
  FeedView pageEvents() {
    return pageEvents;
  }

  private final FeedView pageEvents = new PageEvents(this);
}
