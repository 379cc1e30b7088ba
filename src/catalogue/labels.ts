/**
 * The labels an image carries to describe itself for the catalogue. Adding an image to the
 * catalogue means adding a folder under images/ whose Dockerfile sets at least CATALOGUE_ID.
 */
export const IMAGE_LABEL = {
  /** The id users pick, e.g. "python"; an image without it is not in the catalogue. */
  id: 'berth.catalogue.id',
  title: 'org.opencontainers.image.title',
  description: 'org.opencontainers.image.description',
  /** Comma-separated kernel display names, e.g. "Python 3". */
  kernels: 'berth.kernels',
} as const;
