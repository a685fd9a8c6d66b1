package dev.streamchat.web;

import dev.streamchat.stream.Answer;
import dev.streamchat.stream.Delta;
import dev.streamchat.stream.FeedView;
import dev.streamchat.stream.GenerationStatus;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
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

  Views(Vertx vertx) {
    this.engine = ThymeleafTemplateEngine.create(vertx).unwrap();
  }

  String page(String template, Map<String, Object> vars) {
    return engine.process(template, context(vars));
  }

  String fragment(String template, String selector, Map<String, Object> vars) {
    return engine.process(template, Set.of(selector), context(vars));
  }

  private static Context context(Map<String, Object> vars) {
    Context ctx = new Context(Locale.ENGLISH);
    ctx.setVariables(vars);
    return ctx;
  }

  /**
   * The chat page's events: token fragments appended in place, then the finished message. The
   * rendering keeps the text so far (its prefix), which the finished message shows. One instance
   * per event loop, so the feed renders each event once for all of the loop's page viewers.
   */
  FeedView pageEvents() {
    return pageEvents;
  }

  private final FeedView pageEvents = new FeedView() {
    @Override
    public boolean needsPrefix() {
      return true;
    }

    @Override
    public Rendering open(Prefix prefix) {
      StringBuilder text = new StringBuilder(prefix.text());
      StringBuilder reasoning = new StringBuilder(prefix.reasoning());
      return new Rendering() {
        @Override
        public Buffer next(Delta d) {
          text.append(d.text());
          reasoning.append(d.reasoning());
          return Buffer.buffer(Sse.event("chunk", d.lastSeq(), fragment(CHAT, "chunk",
              Map.of("text", d.text(), "reasoning", d.reasoning(), "gid", prefix.generationId()))));
        }

        @Override
        public Buffer end(GenerationStatus status) {
          Answer answer = new Answer(status, text.toString(), reasoning.toString());
          return Buffer.buffer(Sse.event("end", 0, fragment(CHAT, "assistant", Map.of("m", MessageView.answer(answer)))));
        }
      };
    }
  };
}
