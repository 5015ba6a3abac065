export { ByteCounter } from './byte-counter.js';
export { ChecksumStream, checksumFile } from './checksum.js';
export { createOutputStorage, createS3Bucket } from './create-output-storage.js';
export { LocalStorage } from './local-storage.adapter.js';
export {
  bitrateKbps,
  refSegments,
  relativeSegments,
  type ByteRange,
  type OpenedObject,
  type OutputRef,
  type OutputStorage,
  type StoredFile,
  type StoredObject,
} from './output-storage.js';
export { S3Bucket, s3ClientConfig, type S3BucketOptions } from './s3-bucket.adapter.js';
export { checkS3Config, isValidBucketName, s3BucketOptions, s3Fields, type S3ConfigValues } from './s3-config.js';
export { S3Storage } from './s3-storage.adapter.js';
export { S3UploadStorage } from './s3-upload-storage.adapter.js';
export { EmptyUploadError, UnsafeStoragePathError, UploadAbortedError, UploadTooLargeError } from './storage.errors.js';
export { UploadStorage } from './upload-storage.adapter.js';
export { isUploadInput, parseUploadInput, uploadInput, uploadKey, uploadPath, type UploadStore } from './uploads.js';
export { type ScratchOptions, type ScratchOutput, type StoredOutput } from './scratch-output.js';
export { createChunkStore, LocalChunkStore, S3ChunkStore, type ChunkFileRef, type ChunkStore } from './chunk-store.js';
