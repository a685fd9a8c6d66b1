package dev.streamchat.app;

import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link OutOfMemoryError} anywhere ends the process, with one clear line on stderr, so that
 * a supervisor restarts it: a JVM that ran out of memory may go on half-dead (a thread gone, the
 * listening socket closed) and never be restarted. The JVM flag {@code -XX:+ExitOnOutOfMemoryError}
 * cannot be set from inside the jar; this catches what reaches a thread's end, Vert.x's handler
 * of uncaught exceptions and the web's failure handler. Operators should set the flag as well
 * ({@code JAVA_TOOL_OPTIONS=-XX:+ExitOnOutOfMemoryError}): it also covers errors some library
 * swallows.
 */
public final class FatalErrors {

  private static final Logger LOG = LoggerFactory.getLogger(FatalErrors.class);

  /** The exit status after running out of memory. */
  public static final int OUT_OF_MEMORY_EXIT = 3;

  private FatalErrors() {
  }

  /** For the process's whole life: every thread's uncaught errors and Vert.x's. */
  public static void install(Vertx vertx) {
    Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
      haltIfOutOfMemory(error);
      if (previous != null) {
        previous.uncaughtException(thread, error);
      } else {
        System.err.println("Exception in thread \"" + thread.getName() + "\"");
        error.printStackTrace();
      }
    });
    vertx.exceptionHandler(FatalErrors::unhandled);
  }

  /**
   * What a handler threw. Vert.x logs it only while no exception handler is set, so it is logged
   * here as Vert.x would: a response written from another event loop than its connection's
   * (strict thread mode) fails with an exception, and without this line the request just hangs.
   */
  private static void unhandled(Throwable error) {
    haltIfOutOfMemory(error);
    LOG.error("Unhandled exception", error);
  }

  /** Ends the process at once when {@code error} is, or was caused by, running out of memory. */
  public static void haltIfOutOfMemory(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof OutOfMemoryError) {
        try {
          System.err.println("streamchat: out of memory (" + t.getMessage() + ") in thread "
              + Thread.currentThread().getName() + "; exiting so that a supervisor restarts it");
          System.err.flush();
        } finally {
          // halt, not exit: shutdown hooks need memory and threads this process may no longer have.
          Runtime.getRuntime().halt(OUT_OF_MEMORY_EXIT);
        }
      }
    }
  }
}
