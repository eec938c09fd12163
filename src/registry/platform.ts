/** An `os/arch[/variant]` platform with the aliases and default variants resolved. */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant: string;
}

const ARCHITECTURE_ALIASES: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: 'arm',
  armel: 'arm',
  i386: '386',
};

// Like containerd's normaliser: `linux/arm64` means v8, `linux/arm` means v7, amd64 v1 is plain amd64.
function normaliseVariant(architecture: string, variant: string): string {
  if (architecture === 'arm64' && (variant === '' || variant === 'v8' || variant === '8'))
    return 'v8';
  if (architecture === 'arm' && variant === '') return 'v7';
  if (architecture === 'arm' && /^\d$/.test(variant)) return `v${variant}`;
  if (architecture === 'amd64' && variant === 'v1') return '';
  return variant;
}

export function normalisePlatform(os: string, architecture: string, variant = ''): Platform {
  const lowerArchitecture = architecture.toLowerCase();
  const arch = ARCHITECTURE_ALIASES[lowerArchitecture] ?? lowerArchitecture;
  let armVariant = variant.toLowerCase();
  if (lowerArchitecture === 'armhf') armVariant = armVariant || 'v7';
  if (lowerArchitecture === 'armel') armVariant = armVariant || 'v6';
  return { os: os.toLowerCase(), architecture: arch, variant: normaliseVariant(arch, armVariant) };
}

/** Parses `linux/amd64` or `linux/arm/v7`; undefined when not of that shape. */
export function parsePlatform(text: string): Platform | undefined {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => part.length === 0))
    return undefined;
  return normalisePlatform(parts[0] ?? '', parts[1] ?? '', parts[2] ?? '');
}

/** Platform names already formatted, so the thousands of tags of one platform share a string. */
const formatted = new Map<string, string>();
const FORMATTED_LIMIT = 256;

/** `os/arch[/variant]` as written in settings and TagMetadata. */
export function formatPlatform(platform: {
  os: string;
  architecture: string;
  variant?: string | undefined;
}): string {
  const variant = platform.variant ?? '';
  const text =
    variant.length > 0
      ? `${platform.os}/${platform.architecture}/${variant}`
      : `${platform.os}/${platform.architecture}`;
  const known = formatted.get(text);
  if (known !== undefined) return known;
  if (formatted.size < FORMATTED_LIMIT) formatted.set(text, text);
  return text;
}

/**
 * True when an offered platform satisfies a requested one: `linux/arm64` matches
 * `linux/arm64/v8`, `linux/amd64` matches `linux/amd64/v2`, `linux/arm/v7` does not match
 * `linux/arm/v6`.
 */
export function platformMatches(requested: string, offered: string): boolean {
  const want = parsePlatform(requested);
  const have = parsePlatform(offered);
  if (!want || !have) return false;
  if (want.os !== have.os || want.architecture !== have.architecture) return false;
  if (want.variant === have.variant) return true;
  // A request without a variant accepts any variant, except where the variant is implied (arm).
  const requestedVariant = requested.split('/')[2];
  return requestedVariant === undefined && want.architecture !== 'arm';
}

/** The first requested platform that one of the offered platforms satisfies, with that offer. */
export function firstMatchingPlatform(
  requested: readonly string[],
  offered: readonly string[],
): { requested: string; offered: string } | undefined {
  for (const want of requested) {
    const match = offered.find((have) => platformMatches(want, have));
    if (match !== undefined) return { requested: want, offered: match };
  }
  return undefined;
}
