# The generator recipes, in one place; sourced by the tools/*.sh scripts that train or evaluate
# them (train_shipped_generator.sh, train_baseline_dcgan.sh, ablate_waves.sh, gpu_session.sh,
# train_projected_generator.sh) and read by bench/time_to_quality.py (it runs these arrays).
# Crops: 0.35-0.75 of a photo held at 256 px, resized to 64x64; evaluation views at that scale.
GAN_CROPS=(--image-size 64 --data-size 256 --scale 0.35 0.75)
OURS_RECIPE=(--model tileable --loss hinge "${GAN_CROPS[@]}")
EVAL_REAL_SCALE=(--real-scale 0.35 0.75)
# Second phase of the shipped run: resume the first phase's checkpoint with DiffAugment on (the
# same random colour / translation / cutout for everything the discriminator sees).
FINETUNE_RECIPE=(--augment color,translation,cutout)
# The shipped generator's final config and recipe in one phase from scratch (what
# bench/time_to_quality.py compares against): tileable + 8 zigzag waves, hinge, DiffAugment.
SHIPPED_RECIPE=("${OURS_RECIPE[@]}" "${FINETUNE_RECIPE[@]}" --model-config n_zigzags=8 --batch 32)
# The tutorial DCGAN baseline (unconditional, non-saturating BCE) on the same crops.
DCGAN_RECIPE=(--model dcgan --loss bce "${GAN_CROPS[@]}" --batch 64)
# The same tileable generator against a projected discriminator on frozen ImageNet Lite0
# features (aifashion.gan.models.projected): Lite0 input side, batch and lr from short probes
# (docs/experiments.md).
PROJECTED_RECIPE=(--model tileable-projected --loss hinge "${GAN_CROPS[@]}" "${FINETUNE_RECIPE[@]}"
    --model-config n_zigzags=8 --model-config proj_size=64 --batch 32)
