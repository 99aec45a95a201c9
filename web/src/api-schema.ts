// Generated from api/openapi/openapi.json by scripts/api-types.mjs (npm run api-types): do not edit.

export interface paths {
    "/{transport}/signup": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create an account and sign in */
        post: operations["signup"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/{transport}/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Sign in */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/{transport}/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Trade a refresh token for a new pair */
        post: operations["refresh"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/{transport}/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Revoke a refresh token */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/{transport}/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed-in user */
        get: operations["me"];
        put?: never;
        post?: never;
        /** Delete the signed-in user and their pictures */
        delete: operations["deleteMe"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/{transport}/pictures": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's pictures, newest first, without image bytes */
        get: operations["listPictures"];
        put?: never;
        /** Upload a base64 PNG */
        post: operations["createPicture"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/{transport}/pictures/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One picture with its base64 image */
        get: operations["getPicture"];
        put?: never;
        post?: never;
        /** Delete one picture */
        delete: operations["deletePicture"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/{transport}/pictures/{id}/raw": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The image bytes */
        get: operations["getPictureRaw"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/{transport}/pictures/{id}/thumbnail": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A WebP thumbnail of the picture, at most 320×320 pixels */
        get: operations["getThumbnail"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/{transport}/analytics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Latest API calls and per transport/service/method statistics */
        get: operations["analytics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: 200 once it can serve */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Prometheus metrics */
        get: operations["metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        analytics_CallLog: {
            transport?: string;
            service?: string;
            method?: string;
            /** Format: int32 */
            status?: number;
            /** Format: double */
            latency_ms?: number;
            user_id?: string;
            /** Format: date-time */
            time?: string;
            request_id?: string;
        };
        analytics_CallStats: {
            transport?: string;
            service?: string;
            method?: string;
            /** Format: int32 */
            count?: number;
            /** Format: int32 */
            error_count?: number;
            /** Format: double */
            p50_ms?: number;
            /** Format: double */
            p95_ms?: number;
        };
        analytics_GetLogsRequest: {
            /** Format: int32 */
            limit?: number;
            /** @enum {string} */
            transport?: "rest" | "grpc" | "events" | "";
            service?: string;
            method?: string;
            /** Format: date-time */
            since?: string;
        };
        analytics_GetLogsResponse: {
            logs?: components["schemas"]["analytics_CallLog"][];
            stats?: components["schemas"]["analytics_CallStats"][];
            buckets?: components["schemas"]["analytics_TimeBucket"][];
            /** Format: int32 */
            total?: number;
            /** Format: date-time */
            since?: string;
            /** Format: date-time */
            until?: string;
            /** Format: int32 */
            bucket_seconds?: number;
        };
        analytics_TimeBucket: {
            /** Format: date-time */
            start?: string;
            transport?: string;
            /** Format: int32 */
            count?: number;
            /** Format: int32 */
            error_count?: number;
        };
        auth_LoginRequest: {
            username?: string;
            password?: string;
        };
        auth_LogoutRequest: {
            refresh_token?: string;
        };
        auth_RefreshRequest: {
            refresh_token?: string;
        };
        auth_SignupRequest: {
            username?: string;
            password?: string;
        };
        auth_TokenPair: {
            access_token?: string;
            refresh_token?: string;
            token_type?: string;
            /** Format: int32 */
            expires_in?: number;
        };
        pictures_CreatePictureRequest: {
            title?: string;
            base64?: string;
            /** @enum {string} */
            content_type?: "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "";
        };
        pictures_DeletePictureRequest: {
            /** Format: uuid */
            id?: string;
        };
        pictures_GetPictureRequest: {
            /** Format: uuid */
            id?: string;
        };
        pictures_ListPicturesRequest: {
            /** Format: int32 */
            page_size?: number;
            page_token?: string;
        };
        pictures_ListPicturesResponse: {
            pictures?: components["schemas"]["pictures_Picture"][];
            next_page_token?: string;
        };
        pictures_Picture: {
            id?: string;
            title?: string;
            user_id?: string;
            content_type?: string;
            /** Format: int32 */
            size?: number;
            /** Format: date-time */
            created_at?: string;
            sha256?: string;
            base64?: string;
            /** Format: int32 */
            width?: number;
            /** Format: int32 */
            height?: number;
        };
        pictures_Thumbnail: {
            data?: string;
            content_type?: string;
            /** Format: int32 */
            width?: number;
            /** Format: int32 */
            height?: number;
        };
        users_DeleteUserRequest: {
            /** Format: uuid */
            id?: string;
        };
        users_GetUserRequest: {
            /** Format: uuid */
            id?: string;
        };
        users_User: {
            id?: string;
            username?: string;
            /** Format: date-time */
            created_at?: string;
        };
        Error: {
            error: {
                /** @enum {string} */
                code: "INVALID_ARGUMENT" | "UNAUTHENTICATED" | "PERMISSION_DENIED" | "NOT_FOUND" | "ALREADY_EXISTS" | "RESOURCE_EXHAUSTED" | "INTERNAL" | "UNAVAILABLE" | "DEADLINE_EXCEEDED";
                message: string;
                /** @description A structured refinement, e.g. PAYLOAD_TOO_LARGE. */
                reason?: string;
                /** @description Seconds to wait before trying again. */
                retry_after?: number;
            };
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    signup: {
        parameters: {
            query?: never;
            header?: {
                /** @description A key for this one logical call: retried with the same key, it is applied once and answered the same (per user, for 7 days). */
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description How the gateway reaches the service for this call. */
                transport: "rest" | "grpc" | "events";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["auth_SignupRequest"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["auth_TokenPair"];
                };
            };
            /** @description INVALID_ARGUMENT: malformed JSON, a missing or invalid field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "malformed JSON, a missing or invalid field"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHENTICATED: missing, expired, revoked or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "missing, expired, revoked or invalid credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PERMISSION_DENIED: the caller may not make this call (a method for the system's own processes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "PERMISSION_DENIED",
                     *         "message": "the caller may not make this call (a method for the system's own processes)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND: no such resource (or it belongs to someone else), or an unknown transport */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "NOT_FOUND",
                     *         "message": "no such resource (or it belongs to someone else), or an unknown transport"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INVALID_ARGUMENT: the method is not allowed on this path (see the Allow header) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "the method is not allowed on this path (see the Allow header)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description ALREADY_EXISTS: it exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "ALREADY_EXISTS",
                     *         "message": "it exists already"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: too many attempts: try again after Retry-After seconds */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "too many attempts: try again after Retry-After seconds"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL: a bug; nothing of it is shown */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INTERNAL",
                     *         "message": "a bug; nothing of it is shown"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAVAILABLE: a service could not be reached, or this one is at its limit (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAVAILABLE",
                     *         "message": "a service could not be reached, or this one is at its limit (see Retry-After)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DEADLINE_EXCEEDED: no answer within the deadline */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "DEADLINE_EXCEEDED",
                     *         "message": "no answer within the deadline"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    login: {
        parameters: {
            query?: never;
            header?: {
                /** @description A key for this one logical call: retried with the same key, it is applied once and answered the same (per user, for 7 days). */
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description How the gateway reaches the service for this call. */
                transport: "rest" | "grpc" | "events";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["auth_LoginRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["auth_TokenPair"];
                };
            };
            /** @description INVALID_ARGUMENT: malformed JSON, a missing or invalid field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "malformed JSON, a missing or invalid field"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHENTICATED: missing, expired, revoked or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "missing, expired, revoked or invalid credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PERMISSION_DENIED: the caller may not make this call (a method for the system's own processes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "PERMISSION_DENIED",
                     *         "message": "the caller may not make this call (a method for the system's own processes)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND: no such resource (or it belongs to someone else), or an unknown transport */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "NOT_FOUND",
                     *         "message": "no such resource (or it belongs to someone else), or an unknown transport"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INVALID_ARGUMENT: the method is not allowed on this path (see the Allow header) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "the method is not allowed on this path (see the Allow header)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description ALREADY_EXISTS: it exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "ALREADY_EXISTS",
                     *         "message": "it exists already"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: too many attempts: try again after Retry-After seconds */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "too many attempts: try again after Retry-After seconds"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL: a bug; nothing of it is shown */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INTERNAL",
                     *         "message": "a bug; nothing of it is shown"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAVAILABLE: a service could not be reached, or this one is at its limit (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAVAILABLE",
                     *         "message": "a service could not be reached, or this one is at its limit (see Retry-After)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DEADLINE_EXCEEDED: no answer within the deadline */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "DEADLINE_EXCEEDED",
                     *         "message": "no answer within the deadline"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    refresh: {
        parameters: {
            query?: never;
            header?: {
                /** @description A key for this one logical call: retried with the same key, it is applied once and answered the same (per user, for 7 days). */
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description How the gateway reaches the service for this call. */
                transport: "rest" | "grpc" | "events";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["auth_RefreshRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["auth_TokenPair"];
                };
            };
            /** @description INVALID_ARGUMENT: malformed JSON, a missing or invalid field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "malformed JSON, a missing or invalid field"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHENTICATED: missing, expired, revoked or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "missing, expired, revoked or invalid credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PERMISSION_DENIED: the caller may not make this call (a method for the system's own processes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "PERMISSION_DENIED",
                     *         "message": "the caller may not make this call (a method for the system's own processes)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND: no such resource (or it belongs to someone else), or an unknown transport */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "NOT_FOUND",
                     *         "message": "no such resource (or it belongs to someone else), or an unknown transport"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INVALID_ARGUMENT: the method is not allowed on this path (see the Allow header) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "the method is not allowed on this path (see the Allow header)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description ALREADY_EXISTS: it exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "ALREADY_EXISTS",
                     *         "message": "it exists already"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: too many attempts: try again after Retry-After seconds */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "too many attempts: try again after Retry-After seconds"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL: a bug; nothing of it is shown */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INTERNAL",
                     *         "message": "a bug; nothing of it is shown"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAVAILABLE: a service could not be reached, or this one is at its limit (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAVAILABLE",
                     *         "message": "a service could not be reached, or this one is at its limit (see Retry-After)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DEADLINE_EXCEEDED: no answer within the deadline */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "DEADLINE_EXCEEDED",
                     *         "message": "no answer within the deadline"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: {
                /** @description A key for this one logical call: retried with the same key, it is applied once and answered the same (per user, for 7 days). */
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description How the gateway reaches the service for this call. */
                transport: "rest" | "grpc" | "events";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["auth_LogoutRequest"];
            };
        };
        responses: {
            /** @description OK */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description INVALID_ARGUMENT: malformed JSON, a missing or invalid field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "malformed JSON, a missing or invalid field"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHENTICATED: missing, expired, revoked or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "missing, expired, revoked or invalid credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PERMISSION_DENIED: the caller may not make this call (a method for the system's own processes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "PERMISSION_DENIED",
                     *         "message": "the caller may not make this call (a method for the system's own processes)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND: no such resource (or it belongs to someone else), or an unknown transport */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "NOT_FOUND",
                     *         "message": "no such resource (or it belongs to someone else), or an unknown transport"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INVALID_ARGUMENT: the method is not allowed on this path (see the Allow header) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "the method is not allowed on this path (see the Allow header)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description ALREADY_EXISTS: it exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "ALREADY_EXISTS",
                     *         "message": "it exists already"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: too many attempts: try again after Retry-After seconds */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "too many attempts: try again after Retry-After seconds"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL: a bug; nothing of it is shown */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INTERNAL",
                     *         "message": "a bug; nothing of it is shown"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAVAILABLE: a service could not be reached, or this one is at its limit (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAVAILABLE",
                     *         "message": "a service could not be reached, or this one is at its limit (see Retry-After)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DEADLINE_EXCEEDED: no answer within the deadline */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "DEADLINE_EXCEEDED",
                     *         "message": "no answer within the deadline"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    me: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description How the gateway reaches the service for this call. */
                transport: "rest" | "grpc" | "events";
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["users_User"];
                };
            };
            /** @description INVALID_ARGUMENT: malformed JSON, a missing or invalid field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "malformed JSON, a missing or invalid field"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHENTICATED: missing, expired, revoked or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "missing, expired, revoked or invalid credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PERMISSION_DENIED: the caller may not make this call (a method for the system's own processes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "PERMISSION_DENIED",
                     *         "message": "the caller may not make this call (a method for the system's own processes)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND: no such resource (or it belongs to someone else), or an unknown transport */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "NOT_FOUND",
                     *         "message": "no such resource (or it belongs to someone else), or an unknown transport"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INVALID_ARGUMENT: the method is not allowed on this path (see the Allow header) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "the method is not allowed on this path (see the Allow header)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description ALREADY_EXISTS: it exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "ALREADY_EXISTS",
                     *         "message": "it exists already"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: too many attempts: try again after Retry-After seconds */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "too many attempts: try again after Retry-After seconds"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL: a bug; nothing of it is shown */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INTERNAL",
                     *         "message": "a bug; nothing of it is shown"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAVAILABLE: a service could not be reached, or this one is at its limit (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAVAILABLE",
                     *         "message": "a service could not be reached, or this one is at its limit (see Retry-After)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DEADLINE_EXCEEDED: no answer within the deadline */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "DEADLINE_EXCEEDED",
                     *         "message": "no answer within the deadline"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deleteMe: {
        parameters: {
            query?: never;
            header?: {
                /** @description A key for this one logical call: retried with the same key, it is applied once and answered the same (per user, for 7 days). */
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description How the gateway reaches the service for this call. */
                transport: "rest" | "grpc" | "events";
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description INVALID_ARGUMENT: malformed JSON, a missing or invalid field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "malformed JSON, a missing or invalid field"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHENTICATED: missing, expired, revoked or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "missing, expired, revoked or invalid credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PERMISSION_DENIED: the caller may not make this call (a method for the system's own processes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "PERMISSION_DENIED",
                     *         "message": "the caller may not make this call (a method for the system's own processes)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND: no such resource (or it belongs to someone else), or an unknown transport */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "NOT_FOUND",
                     *         "message": "no such resource (or it belongs to someone else), or an unknown transport"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INVALID_ARGUMENT: the method is not allowed on this path (see the Allow header) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "the method is not allowed on this path (see the Allow header)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description ALREADY_EXISTS: it exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "ALREADY_EXISTS",
                     *         "message": "it exists already"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: too many attempts: try again after Retry-After seconds */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "too many attempts: try again after Retry-After seconds"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL: a bug; nothing of it is shown */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INTERNAL",
                     *         "message": "a bug; nothing of it is shown"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAVAILABLE: a service could not be reached, or this one is at its limit (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAVAILABLE",
                     *         "message": "a service could not be reached, or this one is at its limit (see Retry-After)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DEADLINE_EXCEEDED: no answer within the deadline */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "DEADLINE_EXCEEDED",
                     *         "message": "no answer within the deadline"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listPictures: {
        parameters: {
            query?: {
                page_size?: number;
                page_token?: string;
            };
            header?: never;
            path: {
                /** @description How the gateway reaches the service for this call. */
                transport: "rest" | "grpc" | "events";
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["pictures_ListPicturesResponse"];
                };
            };
            /** @description INVALID_ARGUMENT: malformed JSON, a missing or invalid field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "malformed JSON, a missing or invalid field"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHENTICATED: missing, expired, revoked or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "missing, expired, revoked or invalid credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PERMISSION_DENIED: the caller may not make this call (a method for the system's own processes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "PERMISSION_DENIED",
                     *         "message": "the caller may not make this call (a method for the system's own processes)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND: no such resource (or it belongs to someone else), or an unknown transport */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "NOT_FOUND",
                     *         "message": "no such resource (or it belongs to someone else), or an unknown transport"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INVALID_ARGUMENT: the method is not allowed on this path (see the Allow header) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "the method is not allowed on this path (see the Allow header)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description ALREADY_EXISTS: it exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "ALREADY_EXISTS",
                     *         "message": "it exists already"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: too many attempts: try again after Retry-After seconds */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "too many attempts: try again after Retry-After seconds"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL: a bug; nothing of it is shown */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INTERNAL",
                     *         "message": "a bug; nothing of it is shown"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAVAILABLE: a service could not be reached, or this one is at its limit (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAVAILABLE",
                     *         "message": "a service could not be reached, or this one is at its limit (see Retry-After)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DEADLINE_EXCEEDED: no answer within the deadline */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "DEADLINE_EXCEEDED",
                     *         "message": "no answer within the deadline"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createPicture: {
        parameters: {
            query?: never;
            header?: {
                /** @description A key for this one logical call: retried with the same key, it is applied once and answered the same (per user, for 7 days). */
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description How the gateway reaches the service for this call. */
                transport: "rest" | "grpc" | "events";
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["pictures_CreatePictureRequest"];
            };
        };
        responses: {
            /** @description OK */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["pictures_Picture"];
                };
            };
            /** @description INVALID_ARGUMENT: malformed JSON, a missing or invalid field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "malformed JSON, a missing or invalid field"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHENTICATED: missing, expired, revoked or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "missing, expired, revoked or invalid credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PERMISSION_DENIED: the caller may not make this call (a method for the system's own processes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "PERMISSION_DENIED",
                     *         "message": "the caller may not make this call (a method for the system's own processes)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND: no such resource (or it belongs to someone else), or an unknown transport */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "NOT_FOUND",
                     *         "message": "no such resource (or it belongs to someone else), or an unknown transport"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INVALID_ARGUMENT: the method is not allowed on this path (see the Allow header) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "the method is not allowed on this path (see the Allow header)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description ALREADY_EXISTS: it exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "ALREADY_EXISTS",
                     *         "message": "it exists already"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: too many attempts: try again after Retry-After seconds */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "too many attempts: try again after Retry-After seconds"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL: a bug; nothing of it is shown */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INTERNAL",
                     *         "message": "a bug; nothing of it is shown"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAVAILABLE: a service could not be reached, or this one is at its limit (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAVAILABLE",
                     *         "message": "a service could not be reached, or this one is at its limit (see Retry-After)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DEADLINE_EXCEEDED: no answer within the deadline */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "DEADLINE_EXCEEDED",
                     *         "message": "no answer within the deadline"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPicture: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description How the gateway reaches the service for this call. */
                transport: "rest" | "grpc" | "events";
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["pictures_Picture"];
                };
            };
            /** @description INVALID_ARGUMENT: malformed JSON, a missing or invalid field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "malformed JSON, a missing or invalid field"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHENTICATED: missing, expired, revoked or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "missing, expired, revoked or invalid credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PERMISSION_DENIED: the caller may not make this call (a method for the system's own processes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "PERMISSION_DENIED",
                     *         "message": "the caller may not make this call (a method for the system's own processes)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND: no such resource (or it belongs to someone else), or an unknown transport */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "NOT_FOUND",
                     *         "message": "no such resource (or it belongs to someone else), or an unknown transport"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INVALID_ARGUMENT: the method is not allowed on this path (see the Allow header) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "the method is not allowed on this path (see the Allow header)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description ALREADY_EXISTS: it exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "ALREADY_EXISTS",
                     *         "message": "it exists already"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: too many attempts: try again after Retry-After seconds */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "too many attempts: try again after Retry-After seconds"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL: a bug; nothing of it is shown */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INTERNAL",
                     *         "message": "a bug; nothing of it is shown"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAVAILABLE: a service could not be reached, or this one is at its limit (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAVAILABLE",
                     *         "message": "a service could not be reached, or this one is at its limit (see Retry-After)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DEADLINE_EXCEEDED: no answer within the deadline */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "DEADLINE_EXCEEDED",
                     *         "message": "no answer within the deadline"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    deletePicture: {
        parameters: {
            query?: never;
            header?: {
                /** @description A key for this one logical call: retried with the same key, it is applied once and answered the same (per user, for 7 days). */
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description How the gateway reaches the service for this call. */
                transport: "rest" | "grpc" | "events";
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description INVALID_ARGUMENT: malformed JSON, a missing or invalid field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "malformed JSON, a missing or invalid field"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHENTICATED: missing, expired, revoked or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "missing, expired, revoked or invalid credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PERMISSION_DENIED: the caller may not make this call (a method for the system's own processes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "PERMISSION_DENIED",
                     *         "message": "the caller may not make this call (a method for the system's own processes)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND: no such resource (or it belongs to someone else), or an unknown transport */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "NOT_FOUND",
                     *         "message": "no such resource (or it belongs to someone else), or an unknown transport"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INVALID_ARGUMENT: the method is not allowed on this path (see the Allow header) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "the method is not allowed on this path (see the Allow header)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description ALREADY_EXISTS: it exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "ALREADY_EXISTS",
                     *         "message": "it exists already"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: too many attempts: try again after Retry-After seconds */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "too many attempts: try again after Retry-After seconds"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL: a bug; nothing of it is shown */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INTERNAL",
                     *         "message": "a bug; nothing of it is shown"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAVAILABLE: a service could not be reached, or this one is at its limit (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAVAILABLE",
                     *         "message": "a service could not be reached, or this one is at its limit (see Retry-After)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DEADLINE_EXCEEDED: no answer within the deadline */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "DEADLINE_EXCEEDED",
                     *         "message": "no answer within the deadline"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getPictureRaw: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description How the gateway reaches the service for this call. */
                transport: "rest" | "grpc" | "events";
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/png": string;
                    "image/jpeg": string;
                    "image/gif": string;
                    "image/webp": string;
                };
            };
            /** @description INVALID_ARGUMENT: malformed JSON, a missing or invalid field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "malformed JSON, a missing or invalid field"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHENTICATED: missing, expired, revoked or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "missing, expired, revoked or invalid credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PERMISSION_DENIED: the caller may not make this call (a method for the system's own processes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "PERMISSION_DENIED",
                     *         "message": "the caller may not make this call (a method for the system's own processes)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND: no such resource (or it belongs to someone else), or an unknown transport */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "NOT_FOUND",
                     *         "message": "no such resource (or it belongs to someone else), or an unknown transport"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INVALID_ARGUMENT: the method is not allowed on this path (see the Allow header) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "the method is not allowed on this path (see the Allow header)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description ALREADY_EXISTS: it exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "ALREADY_EXISTS",
                     *         "message": "it exists already"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: too many attempts: try again after Retry-After seconds */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "too many attempts: try again after Retry-After seconds"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL: a bug; nothing of it is shown */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INTERNAL",
                     *         "message": "a bug; nothing of it is shown"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAVAILABLE: a service could not be reached, or this one is at its limit (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAVAILABLE",
                     *         "message": "a service could not be reached, or this one is at its limit (see Retry-After)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DEADLINE_EXCEEDED: no answer within the deadline */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "DEADLINE_EXCEEDED",
                     *         "message": "no answer within the deadline"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getThumbnail: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description How the gateway reaches the service for this call. */
                transport: "rest" | "grpc" | "events";
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/png": string;
                    "image/jpeg": string;
                    "image/gif": string;
                    "image/webp": string;
                };
            };
            /** @description INVALID_ARGUMENT: malformed JSON, a missing or invalid field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "malformed JSON, a missing or invalid field"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHENTICATED: missing, expired, revoked or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "missing, expired, revoked or invalid credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PERMISSION_DENIED: the caller may not make this call (a method for the system's own processes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "PERMISSION_DENIED",
                     *         "message": "the caller may not make this call (a method for the system's own processes)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND: no such resource (or it belongs to someone else), or an unknown transport */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "NOT_FOUND",
                     *         "message": "no such resource (or it belongs to someone else), or an unknown transport"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INVALID_ARGUMENT: the method is not allowed on this path (see the Allow header) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "the method is not allowed on this path (see the Allow header)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description ALREADY_EXISTS: it exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "ALREADY_EXISTS",
                     *         "message": "it exists already"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: too many attempts: try again after Retry-After seconds */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "too many attempts: try again after Retry-After seconds"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL: a bug; nothing of it is shown */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INTERNAL",
                     *         "message": "a bug; nothing of it is shown"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAVAILABLE: a service could not be reached, or this one is at its limit (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAVAILABLE",
                     *         "message": "a service could not be reached, or this one is at its limit (see Retry-After)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DEADLINE_EXCEEDED: no answer within the deadline */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "DEADLINE_EXCEEDED",
                     *         "message": "no answer within the deadline"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    analytics: {
        parameters: {
            query?: {
                limit?: number;
                transport?: "rest" | "grpc" | "events" | "";
                service?: string;
                method?: string;
                since?: string;
            };
            header?: never;
            path: {
                /** @description How the gateway reaches the service for this call. */
                transport: "rest" | "grpc" | "events";
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["analytics_GetLogsResponse"];
                };
            };
            /** @description INVALID_ARGUMENT: malformed JSON, a missing or invalid field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "malformed JSON, a missing or invalid field"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHENTICATED: missing, expired, revoked or invalid credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAUTHENTICATED",
                     *         "message": "missing, expired, revoked or invalid credentials"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PERMISSION_DENIED: the caller may not make this call (a method for the system's own processes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "PERMISSION_DENIED",
                     *         "message": "the caller may not make this call (a method for the system's own processes)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND: no such resource (or it belongs to someone else), or an unknown transport */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "NOT_FOUND",
                     *         "message": "no such resource (or it belongs to someone else), or an unknown transport"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INVALID_ARGUMENT: the method is not allowed on this path (see the Allow header) */
            405: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INVALID_ARGUMENT",
                     *         "message": "the method is not allowed on this path (see the Allow header)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description ALREADY_EXISTS: it exists already */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "ALREADY_EXISTS",
                     *         "message": "it exists already"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "the body or the image is over its size limit (reason PAYLOAD_TOO_LARGE)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description RESOURCE_EXHAUSTED: too many attempts: try again after Retry-After seconds */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "RESOURCE_EXHAUSTED",
                     *         "message": "too many attempts: try again after Retry-After seconds"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description INTERNAL: a bug; nothing of it is shown */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "INTERNAL",
                     *         "message": "a bug; nothing of it is shown"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAVAILABLE: a service could not be reached, or this one is at its limit (see Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "UNAVAILABLE",
                     *         "message": "a service could not be reached, or this one is at its limit (see Retry-After)"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DEADLINE_EXCEEDED: no answer within the deadline */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "error": {
                     *         "code": "DEADLINE_EXCEEDED",
                     *         "message": "no answer within the deadline"
                     *       }
                     *     }
                     */
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
