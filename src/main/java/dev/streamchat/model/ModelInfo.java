package dev.streamchat.model;

/**
 * A model the picker offers. {@code id} is unique across providers; {@code upstreamName} is what
 * the provider itself calls it.
 */
public record ModelInfo(String id, String provider, String name, String upstreamName) {
}
