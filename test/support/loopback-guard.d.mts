export declare const GUARD_MARK: string;
