package dev.streamchat.stream;

import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;

/** The event loops of a Vert.x instance by position, so a message can name the loop it came from. */
final class EventLoops {

  private EventLoops() {
  }

  /** The position of {@code context}'s event loop, or -1 when it is none (no context, a worker). */
  static int indexOf(Vertx vertx, Context context) {
    if (context == null || !context.isEventLoopContext()) return -1;
    EventExecutor loop = ((ContextInternal) context).nettyEventLoop();
    int i = 0;
    for (EventExecutor e : ((VertxInternal) vertx).nettyEventLoopGroup()) {
      if (e == loop) return i;
      i++;
    }
    return -1;
  }
}
