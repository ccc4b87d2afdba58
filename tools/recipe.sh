# The shipped generator's recipe, in one place; sourced by the tools/*.sh scripts that train or
# evaluate it (train_shipped_generator.sh, train_baseline_dcgan.sh, ablate_waves.sh, gpu_session.sh).
# Crops: 0.35-0.75 of a photo held at 256 px, resized to 64x64; evaluation views at that scale.
GAN_CROPS=(--image-size 64 --data-size 256 --scale 0.35 0.75)
OURS_RECIPE=(--model tileable --loss hinge "${GAN_CROPS[@]}")
EVAL_REAL_SCALE=(--real-scale 0.35 0.75)
# Second phase of the shipped run: resume the first phase's checkpoint with DiffAugment on (the
# same random colour / translation / cutout for everything the discriminator sees).
FINETUNE_RECIPE=(--augment color,translation,cutout)
