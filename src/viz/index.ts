// src/viz: figures (plotly.js specs from Arquero tables) and image figures (PNG via sharp).
export * from "./figures";
export * from "./images";
export * from "./report";
export * from "./widget-page";
export * from "./snapshot";
export * from "./script-json";
