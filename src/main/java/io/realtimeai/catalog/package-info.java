/**
 * The accelerated model catalog in the control plane (DESIGN §2): featurizers dropped at
 * {@code accelerated-models/{model_ref}/{model_version}/model.onnx} are validated on ONNX Runtime
 * and indexed in the {@code acceleratedmodels} table ({@link io.realtimeai.catalog.AcceleratedModels});
 * packages that name them get a local copy of the valid ones as an
 * {@link io.realtimeai.pipeline.AcceleratedCatalog} directory, which is what the pipeline loads.
 */
package io.realtimeai.catalog;
