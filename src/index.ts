export * as sys from "./sys/index.js";
