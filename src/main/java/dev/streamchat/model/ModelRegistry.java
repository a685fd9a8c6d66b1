package dev.streamchat.model;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The configured providers and the models they offer, by id. */
public final class ModelRegistry {

  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

  /** A model id resolved to the provider that serves it. */
  public record Resolved(ModelProvider provider, ModelInfo model) {
  }

  private final List<ModelProvider> providers;
  private final Map<String, Resolved> byId = new ConcurrentHashMap<>();
  private volatile List<ModelInfo> models = List.of();

  public ModelRegistry(List<ModelProvider> providers) {
    this.providers = List.copyOf(providers);
  }

  /** Asks every provider for its models; a provider that cannot answer is logged and skipped. */
  public Future<List<ModelInfo>> refresh() {
    List<Future<List<ModelInfo>>> asks = new ArrayList<>();
    for (ModelProvider p : providers) {
      asks.add(p.models().recover(err -> {
        LOG.warn("provider {} did not list its models: {}", p.name(), err.getMessage());
        return Future.succeededFuture(List.of());
      }));
    }
    return Future.all(asks).map(all -> {
      List<ModelInfo> list = new ArrayList<>();
      for (int i = 0; i < providers.size(); i++) {
        for (ModelInfo m : asks.get(i).result()) {
          list.add(m);
          byId.put(m.id(), new Resolved(providers.get(i), m));
        }
      }
      models = List.copyOf(list);
      return models;
    });
  }

  public List<ModelInfo> models() {
    return models;
  }

  public Optional<Resolved> resolve(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  /** The model a new conversation uses: the first real one, else the demo. */
  public String defaultModel() {
    return models.stream().filter(m -> !m.provider().equals("demo")).findFirst()
        .or(() -> models.stream().findFirst()).map(ModelInfo::id).orElse("demo");
  }

  /** True when only the built-in demo model is available. */
  public boolean demoOnly() {
    return models.stream().allMatch(m -> m.provider().equals("demo"));
  }
}
