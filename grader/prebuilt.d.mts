/** The kit's root folder (with a trailing separator). */
export declare const kitRoot: string;
/** The folder of an up-to-date pre-built grader (built now if needed), or undefined where none can be made. */
export declare function ensureBuilt(): Promise<string | undefined>;
