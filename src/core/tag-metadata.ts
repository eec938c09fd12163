/** What the registry says about one tag. */
export interface TagMetadata {
  readonly tag: string;
  /** The digest the registry reports for the tag (`Docker-Content-Digest`): the index digest for a multi-arch image. */
  readonly digest: string;
  readonly mediaType: string;
  /** Platforms the tag offers, `os/arch[/variant]`; a single-arch image reports its config's platform. */
  readonly platforms: readonly string[];
  /**
   * ISO 8601 `created` of the image config of the first requested platform that the tag offers
   * (for an index: that child). Undefined when the config has none.
   */
  readonly created: string | undefined;
  /** Config labels, e.g. `org.opencontainers.image.source` and `.revision`. */
  readonly labels: Readonly<Record<string, string>>;
}
