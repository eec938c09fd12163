/**
 * The vocabulary of choosing a tag: which strategy, which filters, which gates. Settings (see
 * src/config/) build a `TagPolicy` for every image; strategies, filters and gates read it.
 */

export type StrategyName = 'semver' | 'newest-build' | 'alphabetical' | 'digest';

/** `allow-tags` when it is empty. */
export const DEFAULT_ALLOW_TAGS = 'regexp:^main-';

/**
 * A compiled tag pattern. Compiled with RE2 semantics (Go's `regexp`, which argocd-image-updater
 * uses), so a test takes time linear in the tag's length whatever the pattern.
 */
export interface TagPattern {
  test(tag: string): boolean;
}

/** `allow-tags`: `any`, or `regexp:<re>` compiled once. */
export type TagMatcher =
  | { readonly kind: 'any' }
  | { readonly kind: 'regexp'; readonly source: string; readonly pattern: TagPattern };

/** How one image's next tag is chosen. */
export interface TagPolicy {
  readonly strategy: StrategyName;
  /**
   * semver: a range such as `^1.2` (validated). digest: the mutable tag to follow (default
   * `latest`). Unused by the other strategies.
   */
  readonly constraint: string | undefined;
  readonly allowTags: TagMatcher;
  /** Globs (`*`, `?`, `[...]`) matched against the whole tag. */
  readonly ignoreTags: readonly string[];
  /** Platforms every candidate must offer, `os/arch[/variant]`; the first one is read for `created`. */
  readonly platforms: readonly string[];
  /** Replace the current tag with an older build or a lower version. Off by default. */
  readonly allowDowngrade: boolean;
  /** Soak time: builds younger than this are skipped. 0 disables. */
  readonly minAgeSeconds: number;
}
