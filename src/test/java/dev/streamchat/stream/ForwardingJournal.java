package dev.streamchat.stream;

import dev.streamchat.stream.journal.Journal;
import io.vertx.core.Future;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** A real journal with the calls a test wants to watch or change overridden; the rest go straight to it. */
abstract class ForwardingJournal implements Journal {

  final Journal real;

  ForwardingJournal(Journal real) {
    this.real = real;
  }

  @Override public Future<Void> start(GenerationInfo info) { return real.start(info); }
  @Override public Future<Void> append(String id, List<Chunk> chunks) { return real.append(id, chunks); }
  @Override public Future<Void> end(String id, GenerationEnd end) { return real.end(id, end); }
  @Override public Future<Optional<Slice>> read(String id, long after, int max) { return real.read(id, after, max); }
  @Override public Future<List<Unfinished>> recover() { return real.recover(); }
  @Override public Future<Void> delete(Collection<String> ids) { return real.delete(ids); }
  @Override public Future<Void> ping() { return real.ping(); }
  @Override public Future<Void> close() { return real.close(); }
}
