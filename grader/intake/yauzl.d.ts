// Minimal types for the parts of yauzl@3.4.0 that intake uses (the package ships none).
declare module 'yauzl' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';

  export interface Options {
    autoClose?: boolean;
    lazyEntries?: boolean;
    decodeStrings?: boolean;
    validateEntrySizes?: boolean;
    strictFileNames?: boolean;
  }

  export interface ExtraField {
    id: number;
    data: Buffer;
  }

  export interface Entry {
    /** A Buffer when `decodeStrings: false`. */
    fileName: string | Buffer;
    fileNameRaw: Buffer;
    extraFields: ExtraField[];
    versionMadeBy: number;
    generalPurposeBitFlag: number;
    compressionMethod: number;
    crc32: number;
    compressedSize: number;
    uncompressedSize: number;
    externalFileAttributes: number;
    isEncrypted(): boolean;
    isCompressed(): boolean;
  }

  export interface ZipFile extends EventEmitter {
    entryCount: number;
    fileSize: number;
    isOpen: boolean;
    readEntry(): void;
    close(): void;
    openReadStream(entry: Entry, callback: (err: Error | null, stream?: Readable) => void): void;
  }

  export function open(path: string, options: Options, callback: (err: Error | null, zipfile?: ZipFile) => void): void;

  /** Decodes a raw name: Info-ZIP Unicode Path field, else UTF-8 (flag bit 11) or CP437; backslashes kept when strict. */
  export function getFileNameLowLevel(generalPurposeBitFlag: number, fileNameBuffer: Buffer, extraFields: ExtraField[], strictFileNames: boolean): string;
}
